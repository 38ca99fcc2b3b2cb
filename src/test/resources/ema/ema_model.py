"""Writes ema_model.json: diffusers' EMAModel (training_utils.py) stepped on fixed parameters.

EmaTest compares the Java Ema with it. Run with diffusers 0.42.1 and torch 2.7.1 (the venv
submit/bench.sh keeps in ~/.cache/spark-ddpm/bench-torch-2.7.1):
    python ema_model.py [out.json]
Each case builds EMAModel(use_ema_warmup=True, ...) as train_unconditional.py does, on two float32
parameters (a 4x8 matrix and a 32-vector, 64 values flattened in that order) drawn from a seeded
generator. Before each of STEPS calls of step(), the parameters move by a seeded random amount (what
an optimizer step does); "params"[k] are the values update k+1 sees, "shadow"[k] the average after
it, "decays"[k] its cur_decay_value.
"""
import json
import sys

import diffusers
import torch
from diffusers.training_utils import EMAModel

STEPS = 24
CASES = [
    # train_unconditional.py's defaults
    dict(inv_gamma=1.0, power=0.75, max_decay=0.9999, min_decay=0.0, update_after_step=0),
    # every bound active: a low maximum, a minimum, a late start
    dict(inv_gamma=2.0, power=2 / 3, max_decay=0.6, min_decay=0.3, update_after_step=3),
    dict(inv_gamma=0.5, power=1.0, max_decay=0.9, min_decay=0.0, update_after_step=1),
]

out = []
for c, case in enumerate(CASES):
    gen = torch.Generator().manual_seed(100 + c)
    params = [
        torch.nn.Parameter(torch.randn(4, 8, generator=gen)),
        torch.nn.Parameter(torch.randn(32, generator=gen)),
    ]
    ema = EMAModel(
        params,
        decay=case["max_decay"],
        min_decay=case["min_decay"],
        update_after_step=case["update_after_step"],
        use_ema_warmup=True,
        inv_gamma=case["inv_gamma"],
        power=case["power"],
    )
    initial = torch.cat([p.detach().flatten() for p in params]).tolist()
    seen, shadows, decays = [], [], []
    for _ in range(STEPS):
        with torch.no_grad():
            for p in params:
                p.add_(0.1 * torch.randn(p.shape, generator=gen))
        ema.step(params)
        seen.append(torch.cat([p.detach().flatten() for p in params]).tolist())
        shadows.append(torch.cat([s.flatten() for s in ema.shadow_params]).tolist())
        decays.append(ema.cur_decay_value)
    out.append(dict(case, initial=initial, params=seen, shadow=shadows, decays=decays))

with open(sys.argv[1] if len(sys.argv) > 1 else "ema_model.json", "w") as f:
    json.dump({"diffusers": diffusers.__version__, "torch": torch.__version__, "cases": out}, f)
    f.write("\n")
