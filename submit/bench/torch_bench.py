"""The PyTorch side of submit/bench.sh: the tutorial's UNet2DModel in eager PyTorch.

Modes (one JSON object on stdout each; per-step times in milliseconds):
  train  N [bf16] -- N timed Adam steps (lr 1e-3) of the noise-prediction MSE at batch 128, after 2
              warm-up steps; inputs are noised exactly as the tutorial does (DDPMScheduler.add_noise)
  sample N [bf16] -- 64 images x N DDPM steps (DDPMScheduler.set_timesteps + step, no grad), timed
              per step; the first 2 steps are the warm-up
              bf16: the model's forward (and the loss) under torch.autocast(dtype=torch.bfloat16)
              with float32 weights and Adam, the mixed precision of --precision bf16
  flops     -- FLOPs of one training step (forward + backward, batch 128) and of one sampling
              forward (batch 64), counted by torch.utils.flop_counter.FlopCounterMode
  profile T [B] [train|sample] -- one training step (batch B, default 128), or one sampling
                  forward (no grad), under torch.profiler, trace to T
  matmul    -- the single-precision matrix-multiply rate (GFLOP/s) of this machine: the ceiling
"""

import json
import os
import sys
import time

import torch
from diffusers import DDPMScheduler, UNet2DModel


def tutorial_unet():
    # The tutorial's configuration; src/main/java/io/sparkddpm/model/UNetConfig.tutorial().
    return UNet2DModel(
        sample_size=32,
        in_channels=1,
        out_channels=1,
        layers_per_block=2,
        block_out_channels=(32, 64, 64),
        down_block_types=("DownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D"),
        up_block_types=("AttnUpBlock2D", "AttnUpBlock2D", "UpBlock2D"),
        norm_num_groups=32,
        attention_head_dim=8,
    )


def autocast(bf16):
    """torch.autocast in bfloat16 on the CPU when bf16, else a context that changes nothing."""
    return torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16)


def train(steps, batch=128, bf16=False):
    torch.manual_seed(0)
    model = tutorial_unet().train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    sched = DDPMScheduler(num_train_timesteps=1000)
    x0 = torch.rand(batch, 1, 32, 32) * 2 - 1
    times = []
    for step in range(steps + 2):
        start = time.perf_counter()
        noise = torch.randn_like(x0)
        t = torch.randint(0, 1000, (batch,))
        noisy = sched.add_noise(x0, noise, t)
        with autocast(bf16):
            pred = model(noisy, t).sample
        loss = torch.nn.functional.mse_loss(pred.float(), noise)
        opt.zero_grad()
        loss.backward()
        opt.step()
        times.append((time.perf_counter() - start) * 1000)
    return {"batch": batch, "bf16": bf16, "warmup_ms": times[:2], "ms": times[2:]}


@torch.no_grad()
def sample(steps, batch=64, bf16=False):
    torch.manual_seed(0)
    model = tutorial_unet().eval()
    sched = DDPMScheduler(num_train_timesteps=1000)
    sched.set_timesteps(steps)
    x = torch.randn(batch, 1, 32, 32)
    times = []
    for t in sched.timesteps:
        start = time.perf_counter()
        with autocast(bf16):
            eps = model(x, t).sample
        x = sched.step(eps.float(), t, x).prev_sample
        times.append((time.perf_counter() - start) * 1000)
    return {"batch": batch, "steps": steps, "bf16": bf16, "warmup_ms": times[:2], "ms": times[2:]}


def flops():
    from torch.utils.flop_counter import FlopCounterMode

    model = tutorial_unet().train()
    x = torch.randn(128, 1, 32, 32)
    t = torch.randint(0, 1000, (128,))
    counter = FlopCounterMode(display=False)
    with counter:
        loss = torch.nn.functional.mse_loss(model(x, t).sample, x)
        loss.backward()
    train_flops = counter.get_total_flops()
    model.eval()
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        model(torch.randn(64, 1, 32, 32), torch.tensor(500))
    return {"train_step_flops": train_flops, "sample_forward_flops": counter.get_total_flops()}


def profile(trace, batch=128, what="train"):
    """One training step (or one sampling forward: eval mode, no grad, timestep 500) under
    torch.profiler after two warm-up steps; the trace is written to TRACE for profile_summary.py,
    the step's wall time returned."""
    model = tutorial_unet().train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randn(batch, 1, 32, 32)
    t = torch.randint(0, 1000, (batch,))

    def train_step():
        loss = torch.nn.functional.mse_loss(model(x, t).sample, x)
        opt.zero_grad()
        loss.backward()
        opt.step()

    def sample_step():
        with torch.no_grad():
            model(x, torch.tensor(500)).sample.numpy()

    if what == "sample":
        model.eval()
    step = sample_step if what == "sample" else train_step
    step()
    step()
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        start = time.perf_counter()
        step()
        wall = (time.perf_counter() - start) * 1000
    prof.export_chrome_trace(trace)
    return {"wall_ms": wall, "trace": trace, "what": what}


def matmul(n=2048, reps=10):
    a = torch.randn(n, n)
    b = torch.randn(n, n)
    for _ in range(3):
        a @ b
    rates = []
    for _ in range(reps):
        start = time.perf_counter()
        a @ b
        rates.append(2 * n**3 / (time.perf_counter() - start) / 1e9)
    return {"n": n, "gflops": rates}


if __name__ == "__main__":
    mode = sys.argv[1]
    if os.environ.get("BENCH_THREADS"):
        torch.set_num_threads(int(os.environ["BENCH_THREADS"]))
    out = {"torch": torch.__version__, "threads": torch.get_num_threads()}
    bf16 = len(sys.argv) > 3 and sys.argv[3] == "bf16"
    if mode == "train":
        out.update(train(int(sys.argv[2]), bf16=bf16))
    elif mode == "sample":
        out.update(sample(int(sys.argv[2]), bf16=bf16))
    elif mode == "flops":
        out.update(flops())
    elif mode == "profile":
        out.update(profile(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 128,
                            sys.argv[4] if len(sys.argv) > 4 else "train"))
    elif mode == "matmul":
        out.update(matmul())
    else:
        sys.exit(f"unknown mode {mode}")
    print(json.dumps(out))
