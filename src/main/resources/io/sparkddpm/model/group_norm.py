"""Writes group_norm.pt and group_norm_silu.pt beside this file: TorchScript modules for
GroupNorm.java that run torch.nn.functional.group_norm (with its affine weight and bias), and for
the second file SiLU after it, as libtorch's own fused kernels.

DJL's PyTorch JNI has no group_norm binding, so GroupNorm.java could only compose it from
layer_norm, a multiply and an add, and SiLU from sigmoid and a multiply; each of those is a full
pass over the activations forward and more backward. Through these modules libtorch runs one
group-norm kernel (affine included, one fused backward for input, weight and bias) and one SiLU
kernel. The number of groups and epsilon arrive in a small CPU tensor (spec: shape (groups,),
every entry epsilon), so one file serves every config, CPU and CUDA, without a device sync.
Run with the torch that equals DJL's libtorch (pom.xml's pytorch.version):

    python group_norm.py
"""

import os

import torch
import torch.nn.functional as F


class GroupNorm(torch.nn.Module):
    def forward(self, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, spec: torch.Tensor) -> torch.Tensor:
        # x (B, C, H, W); weight, bias (C,); spec (groups,) on the CPU, filled with epsilon
        return F.group_norm(x, spec.size(0), weight, bias, float(spec[0].item()))


class GroupNormSiLU(torch.nn.Module):
    def forward(self, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, spec: torch.Tensor) -> torch.Tensor:
        return F.silu(F.group_norm(x, spec.size(0), weight, bias, float(spec[0].item())))


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    for name, module in (("group_norm.pt", GroupNorm()), ("group_norm_silu.pt", GroupNormSiLU())):
        out = os.path.join(here, name)
        torch.jit.save(torch.jit.script(module), out)
        print(f"wrote {out} with torch {torch.__version__}")
