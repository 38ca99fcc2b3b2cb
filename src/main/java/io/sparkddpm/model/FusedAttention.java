package io.sparkddpm.model;

import ai.djl.ndarray.NDArray;

/**
 * PyTorch's fused {@code scaled_dot_product_attention} on DJL tensors. DJL's JNI has no binding for
 * it, so it runs as a TorchScript module ({@code scaled_dot_product_attention.pt}, made by the
 * Python script beside it) loaded once per JVM. libtorch then picks its memory-efficient kernel on
 * CPU and flash or memory-efficient kernels on CUDA, and never materialises the (B, h, N, N) score
 * matrix that an explicit softmax(q k^T) v keeps for the backward pass. Autograd records through
 * the module like through any op; the module has no parameters and no device of its own.
 */
final class FusedAttention {
  private static final ScriptedModule MODULE =
      new ScriptedModule("scaled_dot_product_attention.pt");

  /**
   * Set to {@code false} to compute attention as softmax(q k^T / sqrt(d)) v with DJL's own ops
   * (materialising the scores): the before of the benchmark's before/after, and a way out on a
   * platform where the module cannot load. Read on every call, so a benchmark can alternate.
   */
  static final String PROPERTY = "sparkddpm.fused_attention";

  private FusedAttention() {}

  /** Whether attention runs through the fused kernel (default) or DJL's explicit ops. */
  static boolean enabled() {
    return !"false".equals(System.getProperty(PROPERTY));
  }

  /**
   * softmax(q k^T / sqrt(d)) v over the last two axes.
   *
   * @param q queries (B, h, N, d)
   * @param k keys (B, h, N, d)
   * @param v values (B, h, N, d)
   * @param training whether autograd may record (the caller's grad mode decides in the end)
   * @return (B, h, N, d), owned by {@code q}'s manager
   */
  static NDArray apply(NDArray q, NDArray k, NDArray v, boolean training) {
    return MODULE.apply(training, q, k, v);
  }
}
