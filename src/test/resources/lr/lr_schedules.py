"""Writes lr_schedules.json: diffusers.optimization.get_scheduler's learning rates, step by step.

LrScheduleTest compares the Java LrSchedule with it. Run with diffusers 0.42.1 and torch 2.7.1
(the venv submit/bench.sh keeps in ~/.cache/spark-ddpm/bench-torch-2.7.1):
    python lr_schedules.py [out.json]
Each case names the schedule and its arguments; "lrs"[k] is the learning rate the optimizer holds
for its update k (0-based), i.e. after k calls of scheduler.step(), up to a few steps past the end.
"""
import json
import sys

import diffusers
import torch
from diffusers.optimization import get_scheduler

TOTAL = 100
CASES = []
for name in ["constant", "constant_with_warmup", "linear", "cosine", "cosine_with_restarts", "polynomial"]:
    for warmup in [0, 1, 10, 120]:
        CASES.append(dict(name=name, lr=1e-3, warmup=warmup, cycles=1, power=1.0))
CASES.append(dict(name="cosine_with_restarts", lr=2.5e-4, warmup=7, cycles=3, power=1.0))
CASES.append(dict(name="polynomial", lr=2.5e-4, warmup=7, cycles=1, power=2.0))
CASES.append(dict(name="polynomial", lr=1e-4, warmup=0, cycles=1, power=0.5))
CASES.append(dict(name="cosine", lr=3e-4, warmup=5, cycles=1, power=1.0))

out = []
for case in CASES:
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.AdamW([param], lr=case["lr"])
    sched = get_scheduler(
        case["name"],
        optimizer=opt,
        num_warmup_steps=case["warmup"],
        num_training_steps=TOTAL,
        num_cycles=case["cycles"],
        power=case["power"],
    )
    lrs = []
    for _ in range(TOTAL + 3):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    out.append(dict(case, total=TOTAL, lrs=lrs))

with open(sys.argv[1] if len(sys.argv) > 1 else "lr_schedules.json", "w") as f:
    json.dump({"diffusers": diffusers.__version__, "torch": torch.__version__, "cases": out}, f)
    f.write("\n")
