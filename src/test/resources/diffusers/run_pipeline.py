"""diffusers' DDPMPipeline.from_pretrained(argv[1]) (a folder TrainJob wrote) generates one image
with 3 DDPM steps, and its UNet runs on the inputs in argv[2] (safetensors: sample, timesteps);
writes {"image": (1, H, W, C) in [0, 1], "output": the UNet's output} to argv[3]. Used by
UNetRoundTripTest with the venv of submit/common.sh (torch 2.7.1, diffusers 0.42.1)."""
import sys

import torch
from diffusers import DDPMPipeline
from safetensors.torch import load_file, save_file

torch.set_num_threads(1)
pipe = DDPMPipeline.from_pretrained(sys.argv[1])
image = pipe(
    batch_size=1,
    num_inference_steps=3,
    generator=torch.Generator().manual_seed(0),
    output_type="np",
).images
inputs = load_file(sys.argv[2])
with torch.no_grad():
    out = pipe.unet.eval()(inputs["sample"], inputs["timesteps"]).sample
save_file(
    {"image": torch.from_numpy(image).float().contiguous(), "output": out.contiguous()},
    sys.argv[3],
)
print("pipeline image", tuple(image.shape), "scheduler", type(pipe.scheduler).__name__)
