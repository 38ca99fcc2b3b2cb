"""Writes ../bf16_autocast.safetensors: one training step of a tiny diffusers UNet2DModel under
torch.autocast("cpu", dtype=torch.bfloat16) with float32 master weights, on fixed inputs.

Run from this folder with the pinned venv (submit/common.sh: torch_venv 2.7.1 0.42.1 2.4.6; the
safetensors package, 0.8.0, is installed beside them):
    ~/.cache/spark-ddpm/bench-torch-2.7.1/bin/python bf16_autocast_reference.py

The model is two levels (16, 32 channels, attention on the deeper level, GroupNorm of 8 groups,
one ResNet layer per block) at 16x16, weights from torch's default initialisation with seed 0.
The loss is the training objective of io.sparkddpm.train.GradientStep: the sum over images of
each image's mean squared error between the predicted and the true noise, computed in float32
(F.mse_loss is on autocast's float32 list, and the prediction is cast to float32 first, as in
diffusers' train_unconditional.py).

Tensors: "w.<key>" the float32 state dict; "sample" (2, 1, 16, 16) the noisy input, "timesteps"
(2,) float32, "noise" the target; "output.bf16" the autocast forward's prediction (cast to float32),
"output.fp32" the float32 forward's; "loss.bf16" / "loss.fp32" scalars; "grad.bf16.<key>" and
"grad.fp32.<key>" the float32 gradients of each parameter. Metadata "config": the model config.
"""
import json

import torch
import torch.nn.functional as F
from diffusers import UNet2DModel
from safetensors.torch import save

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)

CONFIG = dict(
    sample_size=16,
    in_channels=1,
    out_channels=1,
    layers_per_block=1,
    block_out_channels=(16, 32),
    down_block_types=("DownBlock2D", "AttnDownBlock2D"),
    up_block_types=("AttnUpBlock2D", "UpBlock2D"),
    norm_num_groups=8,
)


def step(model, sample, timesteps, noise, autocast):
    model.zero_grad(set_to_none=True)
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
        pred = model(sample, timesteps).sample
        per_image = sample[0].numel()
        loss = F.mse_loss(pred.float(), noise.float(), reduction="sum") / per_image
    loss.backward()
    grads = {k: p.grad.detach().clone() for k, p in model.named_parameters()}
    return pred.detach().float(), loss.detach(), grads


def main():
    torch.manual_seed(0)
    model = UNet2DModel(**CONFIG)
    gen = torch.Generator().manual_seed(1)
    sample = torch.randn(2, 1, 16, 16, generator=gen)
    noise = torch.randn(2, 1, 16, 16, generator=gen)
    timesteps = torch.tensor([17.0, 640.0])

    out = {"w." + k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    out.update(sample=sample, timesteps=timesteps, noise=noise)
    for name, autocast in (("bf16", True), ("fp32", False)):
        pred, loss, grads = step(model, sample, timesteps, noise, autocast)
        assert all(g.dtype == torch.float32 for g in grads.values())
        out["output." + name] = pred.contiguous()
        out["loss." + name] = loss.reshape(())
        for k, g in grads.items():
            out[f"grad.{name}.{k}"] = g.contiguous()
    config = json.dumps({k: list(v) if isinstance(v, tuple) else v for k, v in CONFIG.items()})
    with open("../bf16_autocast.safetensors", "wb") as f:
        f.write(save(out, metadata={"config": config}))


if __name__ == "__main__":
    main()
