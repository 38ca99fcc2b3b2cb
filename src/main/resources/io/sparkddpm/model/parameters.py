"""Writes copy_parameters.pt, flat_gradient.pt and bind_parameters.pt beside this file: TorchScript
modules that move a model's parameters and gradients to and from one flat vector in a single call,
for UNetWeights.java, GradientStep.java and FlatParameters.java.

Through DJL each parameter tensor costs a few JNI calls and Java objects per step; the tutorial UNet
has 318 of them, so copying weights in (every step, on every executor) and gradients out took
milliseconds of overhead, most of the persistent stage's per-step cost. These modules loop over the
list inside libtorch. They hold no parameters and no device: one file serves CPU and CUDA.
Run with the torch that equals DJL's libtorch (pom.xml's pytorch.version):

    python parameters.py
"""

import os
from typing import List

import torch


class CopyParameters(torch.nn.Module):
    def forward(self, flat: torch.Tensor, params: List[torch.Tensor]) -> torch.Tensor:
        # flat (N,) holds every parameter in order; each is overwritten in place, storage kept
        with torch.no_grad():
            offset = 0
            for p in params:
                n = p.numel()
                p.copy_(flat[offset:offset + n].view(p.shape))
                offset += n
        return flat


class FlatGradient(torch.nn.Module):
    def forward(self, params: List[torch.Tensor]) -> torch.Tensor:
        # the gradients, in order, as one (N,) tensor; a parameter without one contributes zeros
        parts: List[torch.Tensor] = []
        for p in params:
            g = p.grad
            if g is None:
                parts.append(torch.zeros_like(p).reshape(-1))
            else:
                parts.append(g.reshape(-1))
        return torch.cat(parts)


class BindParameters(torch.nn.Module):
    def forward(self, flat: torch.Tensor, params: List[torch.Tensor]) -> torch.Tensor:
        # flat (N,) is a new tensor of the parameters' total size, made by the caller (a tensor
        # made here would be an inference tensor when DJL runs the module in inference mode, and
        # could not be written later); each parameter's values move into its slice and the
        # parameter, same tensor object, from now on stores them there (contiguous strides), so a
        # whole weight vector can later be written with one copy
        with torch.no_grad():
            offset = 0
            for p in params:
                n = p.numel()
                flat[offset:offset + n].copy_(p.reshape(-1))
                contiguous = torch.empty(p.size(), dtype=p.dtype, device="meta").stride()
                p.set_(flat, offset, p.size(), contiguous)
                offset += n
        return flat


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    for name, module in (("copy_parameters.pt", CopyParameters()), ("flat_gradient.pt", FlatGradient()),
                         ("bind_parameters.pt", BindParameters())):
        out = os.path.join(here, name)
        torch.jit.save(torch.jit.script(module), out)
        print(f"wrote {out} with torch {torch.__version__}")
