"""Writes to_bfloat16.pt and to_float32.pt beside this file: TorchScript modules whose forward is
x.to(torch.bfloat16) and x.to(torch.float32), for Precision.java (--precision bf16).

DJL 0.36's PyTorch JNI cannot do either cast as mixed precision needs it:
- it maps only its first nine data types to libtorch's (float32 through complex64), so
  NDArray.toType(DataType.BFLOAT16), and any creation call given that type, ends in a bare `throw;`
  inside the JNI's dtype lookup; with no exception in flight that is std::terminate, and the JVM
  dies with "terminate called without an active exception";
- NDArray.toType's copy is not recorded by autograd (it has no grad_fn), so a backward pass through
  a bfloat16 -> float32 cast fails ("element 0 of tensors does not require grad").
Through these modules libtorch casts, and autograd records the cast like any op: the gradient that
flows back to a float32 input is float32. The modules have no parameters and no device: the files
serve CPU and CUDA. Run with the torch that equals DJL's libtorch (pom.xml's pytorch.version):

    python casts.py
"""

import os

import torch


class ToBfloat16(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.to(torch.bfloat16)


class ToFloat32(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.to(torch.float32)


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    for name, module in (("to_bfloat16.pt", ToBfloat16()), ("to_float32.pt", ToFloat32())):
        out = os.path.join(here, name)
        torch.jit.save(torch.jit.script(module), out)
        print(f"wrote {out} with torch {torch.__version__}")
