"""Writes ../preprocess.safetensors: Pillow/torchvision preprocessing of RGB and gray images.

Run from this folder with the pinned venv (submit/common.sh: reference_venv, which is torch_venv
2.7.1 0.42.1 2.4.6 plus pillow==13.0.0 and torchvision==0.22.1 installed without dependencies):
    ~/.cache/spark-ddpm/bench-torch-2.7.1/bin/python preprocess_reference.py
Only torchvision's pure-Python PIL transforms are used. Two runs write identical bytes.

Per case <name> (an image of odd size, its pixels uniform random u8 from numpy's PCG64 seeded with
the case number, so every resampling weight matters):
  <name>.raw         U8 (H, W, C) the input, C = 3 (RGB) or 1 (L)
  <name>.resolution  I32 (1,) N
  <name>.resized     U8 (H', W', C) np.asarray(Resize(N, BILINEAR)(img))
  <name>.center      F32 (C, N, N) ToTensor()(CenterCrop(N)(resized))
  <name>.center_pm1  F32 (C, N, N) Normalize([0.5]*C, [0.5]*C) of center
  <name>.crop.<k>.at I32 (3,) top, left, flip (0/1) of crop k
  <name>.crop.<k>    F32 (C, N, N) ToTensor()(hflip?(crop(resized, top, left, N, N)))
"""
import numpy as np
import PIL
import torchvision
from PIL import Image
from safetensors.numpy import save_file
from torchvision import transforms
from torchvision.transforms import functional as F

CASES = [  # name, width, height, channels, N
    ("rgb_37x53_to_32", 37, 53, 3, 32),
    ("rgb_100x64_to_64", 100, 64, 3, 64),
    ("rgb_20x30_to_32", 20, 30, 3, 32),
    ("gray_37x53_to_32", 37, 53, 1, 32),
    ("gray_53x37_to_32", 53, 37, 1, 32),
    ("gray_20x30_to_32", 20, 30, 1, 32),
    ("rgb_255x97_to_17", 255, 97, 3, 17),
]


def main():
    out = {}
    for case, (name, w, h, c, n) in enumerate(CASES):
        raw = np.random.Generator(np.random.PCG64(case)).integers(0, 256, (h, w, c), dtype=np.uint8)
        img = Image.fromarray(raw[:, :, 0] if c == 1 else raw, "L" if c == 1 else "RGB")
        resized = transforms.Resize(n, interpolation=transforms.InterpolationMode.BILINEAR)(img)
        center = transforms.ToTensor()(transforms.CenterCrop(n)(resized))
        pm1 = transforms.Normalize([0.5] * c, [0.5] * c)(center)
        out[f"{name}.raw"] = raw
        out[f"{name}.resolution"] = np.array([n], dtype=np.int32)
        out[f"{name}.resized"] = np.asarray(resized).reshape(resized.height, resized.width, c).copy()
        out[f"{name}.center"] = center.numpy()
        out[f"{name}.center_pm1"] = pm1.numpy()
        rw, rh = resized.size
        crops = [(0, 0, 0), (rh - n, rw - n, 1), ((rh - n) // 3, (rw - n) // 2, 1)]
        for k, (top, left, flip) in enumerate(crops):
            cropped = F.crop(resized, top, left, n, n)
            if flip:
                cropped = F.hflip(cropped)
            out[f"{name}.crop.{k}.at"] = np.array([top, left, flip], dtype=np.int32)
            out[f"{name}.crop.{k}"] = transforms.ToTensor()(cropped).numpy()
    meta = {"pillow": PIL.__version__, "torchvision": torchvision.__version__}
    save_file(out, "../preprocess.safetensors", metadata=meta)
    print(meta, len(out), "tensors")


if __name__ == "__main__":
    main()
