"""Writes scaled_dot_product_attention.pt beside this file: a TorchScript module whose forward is
torch.nn.functional.scaled_dot_product_attention(q, k, v), for Attention.java.

DJL's PyTorch JNI has no binding for this op; a scripted module calling it can be loaded through
DJL and run on DJL's tensors, with autograd flowing through it like through any other op. Scripting
(not tracing) keeps the module free of device or shape constants: the one file serves CPU and CUDA
and any batch. Run with the torch that equals DJL's libtorch (pom.xml's pytorch.version):

    python scaled_dot_product_attention.py
"""

import os

import torch
import torch.nn.functional as F


class ScaledDotProductAttention(torch.nn.Module):
    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        # (B, h, N, d) each -> (B, h, N, d); softmax(q k^T / sqrt(d)) v, no mask, no dropout
        return F.scaled_dot_product_attention(q, k, v)


if __name__ == "__main__":
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scaled_dot_product_attention.pt")
    torch.jit.save(torch.jit.script(ScaledDotProductAttention()), out)
    print(f"wrote {out} with torch {torch.__version__}")
