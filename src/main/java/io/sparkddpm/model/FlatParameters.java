package io.sparkddpm.model;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.JniUtils;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * A model whose parameters live in one flat tensor, in state-dict order (the layout of the driver's
 * weight vector), so that loading a whole vector is one copy. {@link #bind} moves every parameter's
 * values into a slice of a new flat tensor and points the parameter at that slice (libtorch's
 * {@code set_}, inside {@code bind_parameters.pt}); the parameters stay the same tensor objects, so
 * DJL, autograd and the scripted modules see them as before.
 *
 * <p>Why: {@link UNetWeights#overwriteAll} copies parameter by parameter (318 copies for the
 * tutorial UNet, run by the TorchScript interpreter), which took 3-5 ms a load for the tiny UNet of
 * the persistent-stage benchmark, where one copy of the vector costs a fraction of a millisecond.
 * Executors load weights every training step.
 *
 * <p>A later write that re-points a parameter at other memory (DJL's {@code NDArray.set(Buffer)})
 * would detach it from the flat tensor; nothing in this project does that to a bound model (writes
 * go through {@link NDArrays#fill}, which copies into the storage in place).
 */
public final class FlatParameters {
  private static final ScriptedModule BIND = new ScriptedModule("bind_parameters.pt");

  private final PtNDArray flat;
  private final int size;
  private final ByteBuffer staging;

  private FlatParameters(PtNDArray flat, int size) {
    this.flat = flat;
    this.size = size;
    this.staging = ByteBuffer.allocateDirect(size * Float.BYTES).order(ByteOrder.nativeOrder());
  }

  /**
   * Binds the initialised {@code model}'s parameters to one flat tensor owned by {@code owner} (the
   * manager of the model's parameters, so the tensor lives as long as they do). Values unchanged.
   */
  public static FlatParameters bind(UNet2DModel model, NDManager owner) {
    PtNDArray[] params = UNetWeights.arrays(model);
    long total = UNetWeights.size(params);
    // Made here, outside inference mode, so that later loads may write into it.
    PtNDArray flat =
        (PtNDArray) owner.zeros(new Shape(total), DataType.FLOAT32, params[0].getDevice());
    BIND.applyWithList((PtNDManager) owner, flat, params).close();
    return new FlatParameters(flat, Math.toIntExact(total));
  }

  /** Number of parameters. */
  public int size() {
    return size;
  }

  /**
   * Writes {@code values} (every parameter, in state-dict order) into the model: one copy into a
   * reused direct buffer, which libtorch reads in place on the CPU, and one copy into the flat
   * tensor (a host-to-device copy on a GPU).
   */
  public void load(float[] values) {
    if (values.length != size) {
      throw new IllegalArgumentException(
          "weights: " + values.length + " values for a model of " + size + " parameters");
    }
    staged().put(values);
    loadFrom(staging);
  }

  /**
   * As {@link #load(float[])}, from {@code values}' remaining bytes: {@link #size} floats in the
   * buffer's byte order (a frame as it came off the wire). A direct buffer in native order is read
   * by libtorch in place (one copy); any other goes through the staging buffer (one more bulk copy,
   * byte-swapped when the order is not native). The buffer's position is left as it was.
   */
  public void load(ByteBuffer values) {
    if (values.remaining() != size * Float.BYTES) {
      throw new IllegalArgumentException(
          "weights: " + values.remaining() + " bytes for a model of " + size + " parameters");
    }
    if (values.isDirect() && values.order() == ByteOrder.nativeOrder()) {
      // libtorch reads the caller's buffer in place: one copy, into the flat tensor
      loadFrom(values.slice().order(ByteOrder.nativeOrder()));
      return;
    }
    staged().put(values.asFloatBuffer());
    loadFrom(staging);
  }

  /** The whole staging buffer as floats, to be filled from its start. */
  private FloatBuffer staged() {
    staging.clear();
    return staging.asFloatBuffer();
  }

  /**
   * Copies {@link #size} floats from {@code direct} (native order, from its start) into the flat
   * tensor.
   */
  private void loadFrom(ByteBuffer direct) {
    // grad mode off: an in-place write to leaves that require grad
    try (NoGrad off = NoGrad.enter();
        PtNDManager scratch = (PtNDManager) flat.getManager().newSubManager()) {
      PtNDArray src = (PtNDArray) scratch.create(direct, new Shape(size), DataType.FLOAT32);
      JniUtils.indexSet(flat, src, new long[] {0}, new long[] {size}, new long[] {1});
    }
  }
}
