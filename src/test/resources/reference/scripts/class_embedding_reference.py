"""Writes the class-conditional UNet reference: ../class_cond/unet/ and ../class_cond.safetensors.

Run from this folder with the pinned venv (submit/common.sh: torch_venv 2.7.1 0.42.1 2.4.6):
    ~/.cache/spark-ddpm/bench-torch-2.7.1/bin/python class_embedding_reference.py
The model is diffusers' own UNet2DModel with num_class_embeds = 11 (ten classes and a null class,
as TrainJob --conditional builds it) and class_embed_type None: nn.Embedding(11, time_embed_dim),
its rows added to the time embedding. A tiny config (8x8, channels 8/16, one attention level) keeps
the files small. torch.manual_seed(7) before construction; the class embedding is then replaced by
N(0, 1) draws of seed 8 so that no row is left at a value shared with another (it is already N(0,1)).

class_cond/unet/: save_pretrained(safe_serialization=True) of that model (config.json, weights).
class_cond.safetensors:
  sample (4, 1, 8, 8), timesteps (4,) I64, class_labels (4,) I64 (includes the null class 10 and a
  repeated label), target (4, 1, 8, 8): inputs, drawn from torch.Generator seeds 1..3;
  output: model(sample, timesteps, class_labels).sample in eval mode;
  output_other_labels: the same with class_labels rolled by one (the labels must matter);
  loss: mse(output, target) as (1,); grad.<key>: d loss / d parameter for every state-dict key.
torch.set_num_threads(1) and deterministic algorithms; two runs write identical bytes.
"""
import os

import diffusers
import torch
from diffusers import UNet2DModel
from safetensors.torch import save_file

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..")


def main():
    assert diffusers.__version__ == "0.42.1", diffusers.__version__
    torch.manual_seed(7)
    model = UNet2DModel(
        sample_size=8,
        in_channels=1,
        out_channels=1,
        layers_per_block=1,
        block_out_channels=(8, 16),
        down_block_types=("DownBlock2D", "AttnDownBlock2D"),
        up_block_types=("AttnUpBlock2D", "UpBlock2D"),
        norm_num_groups=4,
        attention_head_dim=None,
        num_class_embeds=11,
    )
    model.eval()
    model.save_pretrained(os.path.join(OUT, "class_cond", "unet"), safe_serialization=True)

    sample = torch.randn((4, 1, 8, 8), generator=torch.Generator().manual_seed(1))
    timesteps = torch.randint(0, 1000, (4,), generator=torch.Generator().manual_seed(2))
    target = torch.randn((4, 1, 8, 8), generator=torch.Generator().manual_seed(3))
    labels = torch.tensor([3, 10, 3, 7], dtype=torch.int64)

    out = model(sample, timesteps, class_labels=labels).sample
    loss = torch.nn.functional.mse_loss(out, target)
    model.zero_grad()
    loss.backward()
    with torch.no_grad():
        other = model(sample, timesteps, class_labels=labels.roll(1)).sample

    tensors = {
        "sample": sample,
        "timesteps": timesteps,
        "class_labels": labels,
        "target": target,
        "output": out.detach(),
        "output_other_labels": other,
        "loss": loss.detach().reshape(1),
    }
    for name, p in model.named_parameters():
        tensors["grad." + name] = p.grad.detach().clone()
    save_file({k: v.contiguous() for k, v in tensors.items()}, os.path.join(OUT, "class_cond.safetensors"))


if __name__ == "__main__":
    main()
