package io.sparkddpm.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * diffusers' spatial self-attention ({@code Attention} built from the old attention block):
 * GroupNorm, multi-head scaled dot-product attention over the H*W positions (Vaswani et al. 2017)
 * through libtorch's fused kernel ({@link FusedAttention}), the output projection {@code to_out.0},
 * and the residual.
 */
final class Attention extends TorchBlock {
  private final int heads;
  private final float scale;
  private final GroupNorm groupNorm;
  private final Linear toQ;
  private final Linear toK;
  private final Linear toV;
  private final Linear toOut;

  Attention(int channels, int headDim, int groups, double eps) {
    if (channels % headDim != 0) {
      throw new IllegalArgumentException(
          "attention: head size " + headDim + " does not divide " + channels + " channels");
    }
    heads = channels / headDim;
    scale = (float) (1.0 / Math.sqrt(headDim));
    groupNorm = addChildBlock("group_norm", new GroupNorm(groups, channels, eps, false));
    toQ = addChildBlock("to_q", new Linear(channels, channels));
    toK = addChildBlock("to_k", new Linear(channels, channels));
    toV = addChildBlock("to_v", new Linear(channels, channels));
    BlockList out = addChildBlock("to_out", new BlockList());
    toOut = out.add(new Linear(channels, channels)); // to_out.1 is Dropout(0): nothing to do
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
    NDArray x = inputs.singletonOrThrow(); // (B, C, H, W)
    Shape s = x.getShape();
    long b = s.get(0);
    long c = s.get(1);
    long n = s.get(2) * s.get(3);
    NDArray tokens =
        call(groupNorm, ps, x, training).reshape(b, c, n).transpose(0, 2, 1); // (B, N, C)
    NDArray q = splitHeads(call(toQ, ps, tokens, training), b, n); // (B, h, N, d)
    NDArray k = splitHeads(call(toK, ps, tokens, training), b, n); // (B, h, N, d)
    NDArray v = splitHeads(call(toV, ps, tokens, training), b, n); // (B, h, N, d)
    NDArray attended =
        FusedAttention.enabled()
            ? FusedAttention.apply(q, k, v, training) // (B, h, N, d)
            : explicit(q, k, v);
    attended = attended.transpose(0, 2, 1, 3).reshape(b, n, c); // (B, N, C)
    NDArray out = call(toOut, ps, attended, training).transpose(0, 2, 1).reshape(s); // (B, C, H, W)
    // x + out, not out + x: out is a transposed view with channels-last strides, and libtorch
    // gives a sum the layout of its first operand, so out + x would hand every following block a
    // channels-last tensor (slower GroupNorm kernels on the CPU). The values are the same.
    return new NDList(x.add(out));
  }

  /** softmax(q k^T / sqrt(d)) v with the scores materialised; the softmax in float32. */
  private NDArray explicit(NDArray q, NDArray k, NDArray v) {
    // Ops.times, not mul(Number): autograd keeps the scale for the backward pass, and DJL's number
    // operand lives in a Java buffer freed right after the op.
    NDArray scores = Ops.times(q, scale).matMul(k.transpose(0, 1, 3, 2)); // (B, h, N, N)
    NDArray weights =
        Precision.isBf16(q)
            ? Precision.BF16.cast(Precision.toFloat32(scores).softmax(-1))
            : scores.softmax(-1);
    return weights.matMul(v); // (B, h, N, d)
  }

  private NDArray splitHeads(NDArray t, long b, long n) {
    return t.reshape(b, n, heads, -1).transpose(0, 2, 1, 3);
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    return new Shape[] {inputShapes[0]};
  }
}
