"""diffusers' UNet2DModel.from_pretrained(argv[1]) run on the inputs in argv[2] (safetensors:
sample, timesteps, and class_labels when present); writes {"output": ...} to argv[3]. Used by
UNetRoundTripTest with the venv of submit/common.sh (torch 2.7.1, diffusers 0.42.1)."""
import sys

import torch
from diffusers import UNet2DModel
from safetensors.torch import load_file, save_file

torch.set_num_threads(1)
model = UNet2DModel.from_pretrained(sys.argv[1]).eval()
inputs = load_file(sys.argv[2])
with torch.no_grad():
    out = model(inputs["sample"], inputs["timesteps"], class_labels=inputs.get("class_labels")).sample
save_file({"output": out.contiguous()}, sys.argv[3])
print("class_embedding" if model.class_embedding is not None else "unconditional")
