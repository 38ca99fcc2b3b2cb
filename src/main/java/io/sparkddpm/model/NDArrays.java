package io.sparkddpm.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * Writing values into an existing float32 array of any DJL block (the UNet's parameters, the
 * classifier's), in the storage it already has.
 */
public final class NDArrays {
  private NDArrays() {}

  /**
   * Copies {@code src[offset .. offset + size)} into {@code dst} in place: libtorch writes into the
   * storage {@code dst} already has. DJL's {@code NDArray.set(Buffer)} instead re-points the tensor
   * at a new Java direct buffer on every call (a non-owning {@code set_}), so weights replaced each
   * step would live in memory the JVM frees on its own schedule.
   */
  public static void fill(NDArray dst, float[] src, int offset) {
    PtNDArray target = (PtNDArray) dst;
    Shape shape = target.getShape();
    long[] end = shape.getShape();
    long[] start = new long[end.length];
    long[] step = new long[end.length];
    Arrays.fill(step, 1);
    // An in-place write to a leaf that requires grad is refused while grad mode is on.
    try (NoGrad off = NoGrad.enter();
        NDManager scratch = target.getManager().newSubManager()) {
      FloatBuffer values = FloatBuffer.wrap(src, offset, (int) shape.size()).slice();
      JniUtils.indexSet(target, (PtNDArray) scratch.create(values, shape), start, end, step);
    }
  }
}
