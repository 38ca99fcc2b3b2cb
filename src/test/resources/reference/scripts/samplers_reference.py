"""Writes the few-step sampler references: ../timesteps.safetensors.gz and ../samplers.safetensors.

Run from this folder with the pinned venv (submit/common.sh: torch_venv 2.7.1 0.42.1 2.4.6):
    ~/.cache/spark-ddpm/bench-torch-2.7.1/bin/python samplers_reference.py
Every scheduler is diffusers' own class with the tutorial's betas (T = 1000, linear 1e-4..0.02)
and every other argument at its default except timestep_spacing. Two runs write identical bytes.

timesteps.safetensors.gz (gzip, mtime 0, of a safetensors file): what set_timesteps(n) gives for
n = 1..1000, for {ddpm, ddim, dpmsolver} x {leading, trailing, linspace}. Per pair, I32 tensors
"<sched>.<spacing>.lengths" (1000,), the length of each list, and "<sched>.<spacing>.deltas", all
lists concatenated in order of n, each list delta-encoded (first value, then differences) so gzip
packs it small. Decoding is a running sum that restarts at 0 for every n.

samplers.safetensors: single steps and whole loops on (2, 1, 8, 8) float32 inputs.
  step.<k>.*: one DDPM/DDIM step on random inputs (n, t, prev_t, model_output, sample,
      variance_noise for DDPM, prev_sample, pred_original_sample); "step.<k>.case" names it.
  loop.<name>.*: a sampling loop whose "model" is the fixed function
      eps(x, t) = (x - sqrt(abar_t) x0(x, t)) / sqrt(1 - abar_t), x0(x, t) = tanh(x) + 0.5 sin(t/100),
      storing x_T, timesteps, and per step i model_output.i, sample.i (prev_sample) and x0.i
      (pred_original_sample; for DPM-Solver++ the converted data prediction), plus for DDPM the
      variance noise noise.i and for DPM-Solver++ the inference sigmas.
  dpmsolver.sigmas: the scheduler's training sigmas sqrt((1 - abar) / abar), (1000,).
DDPM's variance noise is drawn by us and handed to step() by replacing the module's randn_tensor,
so the stored noise is exactly what step() added.
"""
import gzip
import math

import diffusers
import diffusers.schedulers.scheduling_ddpm as ddpm_module
import numpy as np
import torch
from diffusers import DDIMScheduler, DDPMScheduler, DPMSolverMultistepScheduler
from safetensors.torch import save

T = 1000
BETAS = dict(num_train_timesteps=T, beta_start=0.0001, beta_end=0.02, beta_schedule="linear")
CLASSES = {"ddpm": DDPMScheduler, "ddim": DDIMScheduler, "dpmsolver": DPMSolverMultistepScheduler}
SPACINGS = ("leading", "trailing", "linspace")
SHAPE = (2, 1, 8, 8)

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)


def scheduler(name, spacing):
    return CLASSES[name](timestep_spacing=spacing, **BETAS)


def all_timesteps():
    out = {}
    for name in CLASSES:
        for spacing in SPACINGS:
            s = scheduler(name, spacing)
            lengths, deltas = [], []
            for n in range(1, T + 1):
                s.set_timesteps(n)
                ts = s.timesteps.numpy().astype(np.int64)
                lengths.append(len(ts))
                deltas.append(np.diff(ts, prepend=0))
            out[f"{name}.{spacing}.lengths"] = torch.tensor(lengths, dtype=torch.int32)
            out[f"{name}.{spacing}.deltas"] = torch.from_numpy(np.concatenate(deltas).astype(np.int32))
    return out


class InjectedNoise:
    """Replaces DDPM's randn_tensor: returns the next stored draw."""

    def __init__(self):
        self.next = None

    def __call__(self, shape, generator=None, device=None, dtype=None):
        assert self.next is not None and tuple(shape) == tuple(self.next.shape)
        z, self.next = self.next, None
        return z


NOISE = InjectedNoise()
ddpm_module.randn_tensor = NOISE


def ddpm_or_ddim_step(s, name, eps, t, x, z):
    if name == "ddpm":
        NOISE.next = z if t > 0 else None
        out = s.step(eps, t, x)
        assert NOISE.next is None, "step did not draw the noise it was given"
        return out.prev_sample, out.pred_original_sample, int(s.previous_timestep(t))
    out = s.step(eps, t, x, eta=0.0)
    return out.prev_sample, out.pred_original_sample, int(t) - T // s.num_inference_steps


# (scheduler, spacing, n, index of the step in the schedule)
STEP_CASES = [
    ("ddpm", "trailing", 13, 0),
    ("ddpm", "trailing", 13, 6),
    ("ddpm", "trailing", 13, 12),
    ("ddpm", "linspace", 7, 1),
    ("ddpm", "linspace", 7, 6),
    ("ddim", "trailing", 13, 0),
    ("ddim", "trailing", 13, 12),
    ("ddim", "linspace", 7, 5),
    ("ddim", "linspace", 7, 6),
]


def step_cases():
    out = {}
    g = torch.Generator().manual_seed(31)
    for k, (name, spacing, n, i) in enumerate(STEP_CASES):
        s = scheduler(name, spacing)
        s.set_timesteps(n)
        t = int(s.timesteps[i])
        x, eps, z = (torch.randn(SHAPE, generator=g) for _ in range(3))
        prev, x0, prev_t = ddpm_or_ddim_step(s, name, eps, t, x, z)
        p = f"step.{k}."
        out[p + "case"] = torch.tensor(list(f"{name}.{spacing}".encode()), dtype=torch.uint8)
        out[p + "n"] = torch.tensor([n])
        out[p + "t"] = torch.tensor([t])
        out[p + "prev_t"] = torch.tensor([prev_t])
        out[p + "sample"] = x
        out[p + "model_output"] = eps
        if name == "ddpm":
            out[p + "variance_noise"] = z
        out[p + "prev_sample"] = prev
        out[p + "pred_original_sample"] = x0
    return out


def tiny_model(alphas_cumprod, x, t):
    # x0 prediction tanh(x) + 0.5 sin(t / 100): bounded, and moving from step to step so that a
    # multistep solver's correction from the previous step matters
    a = alphas_cumprod[t]
    x0 = torch.tanh(x) + 0.5 * math.sin(t / 100)
    return (x - a**0.5 * x0) / (1 - a) ** 0.5


# (name, scheduler, spacing, n)
LOOPS = [
    ("ddpm_trailing_10", "ddpm", "trailing", 10),
    ("ddim_trailing_10", "ddim", "trailing", 10),
    ("dpmsolver_linspace_10", "dpmsolver", "linspace", 10),
    ("dpmsolver_linspace_20", "dpmsolver", "linspace", 20),
    ("dpmsolver_trailing_10", "dpmsolver", "trailing", 10),
]


def loops():
    out = {}
    for seed, (loop, name, spacing, n) in enumerate(LOOPS):
        g = torch.Generator().manual_seed(100 + seed)
        s = scheduler(name, spacing)
        s.set_timesteps(n)
        p = f"loop.{loop}."
        x = torch.randn(SHAPE, generator=g)
        out[p + "x_T"] = x
        out[p + "timesteps"] = s.timesteps.clone()
        if name == "dpmsolver":
            out[p + "sigmas"] = s.sigmas.clone()
        for i, t in enumerate(s.timesteps.tolist()):
            eps = tiny_model(s.alphas_cumprod, x, t)
            out[p + f"model_output.{i}"] = eps
            if name == "dpmsolver":
                x = s.step(eps, t, x).prev_sample
                x0 = s.model_outputs[-1]
            else:
                z = torch.randn(SHAPE, generator=g)
                x, x0, _ = ddpm_or_ddim_step(s, name, eps, t, x, z)
                if name == "ddpm" and t > 0:
                    out[p + f"noise.{i}"] = z
            out[p + f"sample.{i}"] = x
            out[p + f"x0.{i}"] = x0
    return out


def main():
    # One metadata key: safetensors writes several in an arbitrary order, which breaks byte identity.
    meta = {
        "provenance": f"diffusers {diffusers.__version__}, torch {torch.__version__}, "
        f"numpy {np.__version__}, scripts/samplers_reference.py"
    }
    with open("../timesteps.safetensors.gz", "wb") as f:
        with gzip.GzipFile(fileobj=f, mode="wb", compresslevel=9, mtime=0, filename="") as z:
            z.write(save(all_timesteps(), metadata=meta))
    tensors = {**step_cases(), **loops()}
    tensors["dpmsolver.sigmas"] = scheduler("dpmsolver", "linspace").sigmas.clone()
    tensors = {k: v.contiguous() for k, v in tensors.items()}
    with open("../samplers.safetensors", "wb") as f:
        f.write(save(tensors, metadata=meta))


if __name__ == "__main__":
    main()
