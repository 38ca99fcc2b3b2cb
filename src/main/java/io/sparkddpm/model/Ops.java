package io.sparkddpm.model;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;

/** Activation and resampling ops shared by the blocks. */
final class Ops {
  private Ops() {}

  /** SiLU (swish with beta 1): {@code x * sigmoid(x)}. */
  static NDArray silu(NDArray x) {
    return x.mul(Activation.sigmoid(x));
  }

  /**
   * Nearest-neighbour upsampling by 2, as {@code F.interpolate(scale_factor=2, mode="nearest")}.
   */
  static NDArray upsampleNearest2x(NDArray x) {
    long h = x.getShape().get(2);
    long w = x.getShape().get(3);
    return x.getNDArrayInternal().interpolation(new long[] {2 * h, 2 * w}, 0, false);
  }
}
