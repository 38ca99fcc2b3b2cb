"""Writes adam_torch.safetensors: torch.optim.Adam (defaults, lr 1e-3) on one float32 vector.

The Java Adam is compared with it (AdamParityTest). Run with the PyTorch of DJL's libtorch
(2.7.1, e.g. the venv submit/bench.sh keeps in ~/.cache/spark-ddpm/bench-torch-2.7.1):
    python adam_torch.py [out.safetensors]
Stored: the start values, the gradient of every step, the parameters after every step and the
optimizer state (exp_avg, exp_avg_sq) after the last.
"""
import sys

import torch
from safetensors.torch import save_file

torch.manual_seed(7)
torch.set_num_threads(1)
n, steps = 4099, 12  # n is not a multiple of any vector width: the kernels' tails are exercised
param = torch.nn.Parameter(torch.randn(n) * 0.1)
start = param.detach().clone()
opt = torch.optim.Adam([param], lr=1e-3)
scales = torch.logspace(-6, 1, n)[torch.randperm(n)]  # gradients from 1e-6 to 10
grads, after = [], []
for step in range(steps):
    g = torch.randn(n) * scales
    g[step::97] = 0.0  # some exact zeros
    param.grad = g.clone()
    opt.step()
    grads.append(g)
    after.append(param.detach().clone())
state = opt.state[param]
save_file(
    {
        "start": start,
        "grads": torch.stack(grads),
        "params": torch.stack(after),
        "exp_avg": state["exp_avg"].clone(),
        "exp_avg_sq": state["exp_avg_sq"].clone(),
    },
    sys.argv[1] if len(sys.argv) > 1 else "adam_torch.safetensors",
    metadata={"torch": torch.__version__, "lr": "1e-3", "steps": str(steps)},
)
