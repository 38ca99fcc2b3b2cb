"""Writes adamw_torch.safetensors: torch.optim.AdamW with every constant changed, on one vector.

The Java Adam with weight decay is compared with it (AdamParityTest). Run with the PyTorch of
DJL's libtorch (2.7.1, e.g. the venv submit/bench.sh keeps in ~/.cache/spark-ddpm/bench-torch-2.7.1):
    python adamw_torch.py [out.safetensors]
betas (0.95, 0.99), eps 1e-6, weight decay 0.05 and a learning rate that changes every step (a
cosine from 1e-3, as a schedule gives it), so each constant and the decay's use of the step's lr
are exercised. Stored: the start values, each step's lr (float64) and gradient, the parameters
after every step and the optimizer state after the last.
"""
import math
import sys

import torch
from safetensors.torch import save_file

torch.manual_seed(11)
torch.set_num_threads(1)
n, steps = 4099, 12  # n is not a multiple of any vector width: the kernels' tails are exercised
betas, eps, weight_decay = (0.95, 0.99), 1e-6, 0.05
param = torch.nn.Parameter(torch.randn(n) * 0.1)
start = param.detach().clone()
opt = torch.optim.AdamW([param], lr=1e-3, betas=betas, eps=eps, weight_decay=weight_decay)
scales = torch.logspace(-6, 1, n)[torch.randperm(n)]  # gradients from 1e-6 to 10
lrs, grads, after = [], [], []
for step in range(steps):
    lr = 1e-3 * 0.5 * (1 + math.cos(math.pi * step / steps))
    opt.param_groups[0]["lr"] = lr
    g = torch.randn(n) * scales
    g[step::97] = 0.0  # some exact zeros
    param.grad = g.clone()
    opt.step()
    lrs.append(lr)
    grads.append(g)
    after.append(param.detach().clone())
state = opt.state[param]
save_file(
    {
        "start": start,
        "lrs": torch.tensor(lrs, dtype=torch.float64),
        "grads": torch.stack(grads),
        "params": torch.stack(after),
        "exp_avg": state["exp_avg"].clone(),
        "exp_avg_sq": state["exp_avg_sq"].clone(),
    },
    sys.argv[1] if len(sys.argv) > 1 else "adamw_torch.safetensors",
    metadata={
        "torch": torch.__version__,
        "betas": str(betas),
        "eps": str(eps),
        "weight_decay": str(weight_decay),
        "steps": str(steps),
    },
)
