"""Writes ../prediction.safetensors: prediction types and beta schedules of diffusers 0.42.1.

Run from this folder with the pinned venv (submit/common.sh: torch_venv 2.7.1 0.42.1 2.4.6):
    ~/.cache/spark-ddpm/bench-torch-2.7.1/bin/python prediction_reference.py
It extends samplers_reference.py (whose noise injection and step helper it imports) to
prediction_type "epsilon", "v_prediction" and "sample" and to the beta schedules. Two runs write
identical bytes.

  betas.<s>, alphas_cumprod.<s>: DDPMScheduler(**SCHEDULES[s]).betas / .alphas_cumprod.
  step.<k>.*: one DDPM or DDIM step (tutorial betas, leading spacing, n = 10) for every
      prediction type x {clip_sample True, False} at steps 0, 5, 9 of the schedule; inputs
      sample, model_output (random, so "sample" predictions exceed the clip range),
      variance_noise, and diffusers' prev_sample, pred_original_sample; "step.<k>.case" names it
      (<sched>.<prediction>.<clip|noclip>), n, t, eta (DDIM: 0 when clipped, 0.5 when not).
  loop.<name>.*: 10-step loops of DPM-Solver++ (linspace) and DDIM/DDPM (scaled_linear) with
      v and x0 predictions of the fixed function x0(x, t) = tanh(x) + 0.5 sin(t / 100):
      x_T, timesteps, model_output.i, sample.i, noise.i (DDPM).
  target.*: the training targets on fixed tensors: x0 (rand * 2 - 1), noise, t = [0, 10, 500,
      999], model_output; per schedule <s> in (linear, scaled_linear): noisy.<s> (add_noise),
      velocity.<s> (get_velocity(x0, noise, t)), snr.<s> (alphas_cumprod[t] / (1 -
      alphas_cumprod[t]), train_unconditional.py's weight of "sample"), and
      loss.<s>.<prediction> as the training scripts compute it: mse(model_output, noise) for
      epsilon, mse(model_output, velocity) for v_prediction, (snr * mse(model_output, x0,
      reduction="none")).mean() for sample.
  pretrained.<c>.*: DDPMScheduler.from_pretrained on ../scheduler_configs/<c>/ (files written by
      this project's SchedulerConfig.toJson, see SchedulerConfigDiffusersTest): its betas,
      alphas_cumprod, num_train_timesteps and prediction_type (UTF-8 bytes).
"""
import math
import os

import diffusers
import numpy as np
import torch
import torch.nn.functional as F
from diffusers import DDIMScheduler, DDPMScheduler, DPMSolverMultistepScheduler
from safetensors.torch import save

from samplers_reference import NOISE, ddpm_or_ddim_step

SHAPE = (2, 1, 8, 8)
TUTORIAL = dict(num_train_timesteps=1000, beta_start=0.0001, beta_end=0.02, beta_schedule="linear")
SCHEDULES = {
    "linear": TUTORIAL,
    "scaled_linear": dict(
        num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear"
    ),
    "scaled_linear_tutorial": dict(TUTORIAL, beta_schedule="scaled_linear"),
    "linear_257": dict(num_train_timesteps=257, beta_start=0.0002, beta_end=0.05, beta_schedule="linear"),
    "cosine_250": dict(num_train_timesteps=250, beta_schedule="squaredcos_cap_v2"),
}
PREDICTIONS = ("epsilon", "v_prediction", "sample")
CLASSES = {"ddpm": DDPMScheduler, "ddim": DDIMScheduler, "dpmsolver": DPMSolverMultistepScheduler}

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)


def text(s):
    return torch.tensor(list(s.encode()), dtype=torch.uint8)


def schedules():
    out = {}
    for name, kw in SCHEDULES.items():
        s = DDPMScheduler(**kw)
        out[f"betas.{name}"] = s.betas.clone()
        out[f"alphas_cumprod.{name}"] = s.alphas_cumprod.clone()
    return out


def step_cases():
    out = {}
    g = torch.Generator().manual_seed(23)
    k = 0
    for name in ("ddpm", "ddim"):
        for pred in PREDICTIONS:
            for clip in (True, False):
                for i in (0, 5, 9):
                    s = CLASSES[name](prediction_type=pred, clip_sample=clip, **TUTORIAL)
                    s.set_timesteps(10)
                    t = int(s.timesteps[i])
                    x, out_, z = (torch.randn(SHAPE, generator=g) for _ in range(3))
                    eta = 0.0 if clip or name == "ddpm" else 0.5
                    if name == "ddpm":
                        prev, x0, _ = ddpm_or_ddim_step(s, name, out_, t, x, z)
                    else:
                        r = s.step(out_, t, x, eta=eta, variance_noise=z if eta > 0 else None)
                        prev, x0 = r.prev_sample, r.pred_original_sample
                    p = f"step.{k}."
                    out[p + "case"] = text(f"{name}.{pred}.{'clip' if clip else 'noclip'}")
                    out[p + "n"] = torch.tensor([10])
                    out[p + "t"] = torch.tensor([t])
                    out[p + "eta"] = torch.tensor([eta], dtype=torch.float32)
                    out[p + "sample"] = x
                    out[p + "model_output"] = out_
                    out[p + "variance_noise"] = z
                    out[p + "prev_sample"] = prev
                    out[p + "pred_original_sample"] = x0
                    k += 1
    return out


def tiny_model(pred, alphas_cumprod, x, t):
    a = alphas_cumprod[t]
    x0 = torch.tanh(x) + 0.5 * math.sin(t / 100)
    if pred == "sample":
        return x0
    eps = (x - a**0.5 * x0) / (1 - a) ** 0.5
    return a**0.5 * eps - (1 - a) ** 0.5 * x0


# (name, scheduler, schedule, prediction, spacing)
LOOPS = [
    ("dpmsolver_v", "dpmsolver", "linear", "v_prediction", "linspace"),
    ("dpmsolver_sample", "dpmsolver", "linear", "sample", "linspace"),
    ("ddim_scaled_v", "ddim", "scaled_linear", "v_prediction", "trailing"),
    ("ddpm_scaled_v", "ddpm", "scaled_linear", "v_prediction", "trailing"),
]


def loops():
    out = {}
    for seed, (loop, name, sched, pred, spacing) in enumerate(LOOPS):
        g = torch.Generator().manual_seed(300 + seed)
        s = CLASSES[name](prediction_type=pred, timestep_spacing=spacing, **SCHEDULES[sched])
        s.set_timesteps(10)
        p = f"loop.{loop}."
        x = torch.randn(SHAPE, generator=g)
        out[p + "x_T"] = x
        out[p + "timesteps"] = s.timesteps.clone()
        for i, t in enumerate(s.timesteps.tolist()):
            y = tiny_model(pred, s.alphas_cumprod, x, t)
            out[p + f"model_output.{i}"] = y
            if name == "dpmsolver":
                x = s.step(y, t, x).prev_sample
            else:
                z = torch.randn(SHAPE, generator=g)
                x, _, _ = ddpm_or_ddim_step(s, name, y, t, x, z)
                if name == "ddpm" and t > 0:
                    out[p + f"noise.{i}"] = z
            out[p + f"sample.{i}"] = x
    return out


def targets():
    g = torch.Generator().manual_seed(24)
    shape = (4, 1, 8, 8)
    x0 = torch.rand(shape, generator=g) * 2 - 1
    noise = torch.randn(shape, generator=g)
    model_output = torch.randn(shape, generator=g)
    t = torch.tensor([0, 10, 500, 999], dtype=torch.int64)
    out = {"target.x0": x0, "target.noise": noise, "target.t": t, "target.model_output": model_output}
    for name in ("linear", "scaled_linear"):
        s = DDPMScheduler(**SCHEDULES[name])
        velocity = s.get_velocity(x0, noise, t)
        a = s.alphas_cumprod[t].float().reshape(-1, 1, 1, 1)
        snr = a / (1 - a)
        out[f"target.noisy.{name}"] = s.add_noise(x0, noise, t)
        out[f"target.velocity.{name}"] = velocity
        out[f"target.snr.{name}"] = snr.flatten()
        out[f"target.loss.{name}.epsilon"] = F.mse_loss(model_output, noise).reshape(1)
        out[f"target.loss.{name}.v_prediction"] = F.mse_loss(model_output, velocity).reshape(1)
        weighted = snr * F.mse_loss(model_output, x0, reduction="none")
        out[f"target.loss.{name}.sample"] = weighted.mean().reshape(1)
    return out


def pretrained():
    out = {}
    root = "../scheduler_configs"
    for c in sorted(os.listdir(root)):
        s = DDPMScheduler.from_pretrained(os.path.join(root, c))
        p = f"pretrained.{c}."
        out[p + "betas"] = s.betas.clone()
        out[p + "alphas_cumprod"] = s.alphas_cumprod.clone()
        out[p + "num_train_timesteps"] = torch.tensor([s.config.num_train_timesteps])
        out[p + "prediction_type"] = text(s.config.prediction_type)
    return out


def main():
    meta = {
        "provenance": f"diffusers {diffusers.__version__}, torch {torch.__version__}, "
        f"numpy {np.__version__}, scripts/prediction_reference.py"
    }
    assert NOISE.next is None
    tensors = {**schedules(), **step_cases(), **loops(), **targets(), **pretrained()}
    tensors = {k: v.clone().contiguous() for k, v in tensors.items()}
    with open("../prediction.safetensors", "wb") as f:
        f.write(save(tensors, metadata=meta))


if __name__ == "__main__":
    main()
