package io.sparkddpm.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;

/** Activation, resampling and scalar ops shared by the blocks and the training step. */
public final class Ops {
  private Ops() {}

  /**
   * {@code x * s}. DJL's {@code mul(Number)} puts {@code s} in a Java direct buffer ({@code
   * from_blob}) and closes it right after the op, while autograd keeps that scalar for the
   * backward: a garbage collection in between frees the buffer, glibc writes its free-list pointers
   * into it, and the backward multiplies by garbage (finite or NaN). A scalar libtorch allocated
   * lives as long as autograd holds it.
   */
  public static NDArray times(NDArray x, float s) {
    return x.mul(scalar(x, s));
  }

  /** {@code x / s}, with {@code s} in libtorch's memory; see {@link #times}. */
  public static NDArray divide(NDArray x, float s) {
    return x.div(scalar(x, s));
  }

  /**
   * A scalar tensor allocated by libtorch on {@code like}'s device and manager, in {@code like}'s
   * dtype, or float32 when {@code like} is bfloat16 (which DJL cannot create; a 0-dimensional
   * float32 operand leaves a bfloat16 result bfloat16, by libtorch's type promotion).
   */
  private static NDArray scalar(NDArray like, float s) {
    DataType type = Precision.isBf16(like) ? DataType.FLOAT32 : like.getDataType();
    return like.getManager().full(new Shape(), s, type);
  }

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
