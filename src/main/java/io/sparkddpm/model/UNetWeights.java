package io.sparkddpm.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import io.sparkddpm.io.DType;
import io.sparkddpm.io.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;

/**
 * Moves weights between a {@link UNet2DModel} and diffusers' state dict (name to float32 tensor): a
 * key-by-key copy with shape checks, plus torch's default initialisation from a seed.
 */
public final class UNetWeights {
  private UNetWeights() {}

  /** Old attention-block names that {@code from_pretrained} still accepts, and their new names. */
  private static final Map<String, String> LEGACY =
      Map.of(
          ".query.", ".to_q.",
          ".key.", ".to_k.",
          ".value.", ".to_v.",
          ".proj_attn.", ".to_out.0.");

  /** The key under current names: legacy attention keys are renamed as diffusers does. */
  static String currentName(String key) {
    for (Map.Entry<String, String> e : LEGACY.entrySet()) {
      int at = key.lastIndexOf(e.getKey());
      if (at >= 0 && key.contains(".attentions.")) {
        return key.substring(0, at) + e.getValue() + key.substring(at + e.getKey().length());
      }
    }
    return key;
  }

  /**
   * Copies {@code stateDict} into the model. Every key must match a parameter of the same shape,
   * and every parameter must be present; the message lists what is missing or extra.
   */
  public static void load(UNet2DModel model, Map<String, Tensor> stateDict, String source) {
    Map<String, Parameter> params = model.namedParameters();
    Map<String, Tensor> renamed = new LinkedHashMap<>();
    for (Map.Entry<String, Tensor> e : stateDict.entrySet()) {
      renamed.put(currentName(e.getKey()), e.getValue());
    }
    TreeSet<String> missing = new TreeSet<>(params.keySet());
    missing.removeAll(renamed.keySet());
    TreeSet<String> extra = new TreeSet<>(renamed.keySet());
    extra.removeAll(params.keySet());
    if (!missing.isEmpty() || !extra.isEmpty()) {
      throw new IllegalArgumentException(
          source
              + ": state dict does not match the UNet config; missing "
              + abbreviate(missing)
              + ", unexpected "
              + abbreviate(extra));
    }
    for (Map.Entry<String, Parameter> e : params.entrySet()) {
      Tensor t = renamed.get(e.getKey());
      Shape expected = e.getValue().getShape();
      if (t.dtype() != DType.F32 || !Arrays.equals(t.shape(), expected.getShape())) {
        throw new IllegalArgumentException(
            source
                + ": \""
                + e.getKey()
                + "\" is "
                + t.dtype()
                + " "
                + Arrays.toString(t.shape())
                + ", expected F32 "
                + expected);
      }
      NDArrays.fill(e.getValue().getArray(), t.toFloats(), 0);
    }
  }

  private static final ScriptedModule COPY_PARAMETERS = new ScriptedModule("copy_parameters.pt");
  private static final ScriptedModule FLAT_GRADIENT = new ScriptedModule("flat_gradient.pt");

  /**
   * Copies {@code flat} (every parameter of {@code model} in state-dict order, as the driver's flat
   * vector) into the model's parameter arrays in place, like {@link NDArrays#fill} for each. The
   * vector crosses JNI once, as one tensor on the model's device (one host-to-device copy on a
   * GPU), and a scripted module ({@code copy_parameters.pt}) fills every parameter from it inside
   * libtorch: per parameter, DJL's calls and Java objects cost tens of microseconds, and the
   * tutorial UNet has 318 of them, loaded every step.
   */
  public static void overwriteAll(UNet2DModel model, float[] flat) {
    overwriteAll(model, flat, null);
  }

  /**
   * As {@link #overwriteAll(UNet2DModel, float[])}, staging the vector in {@code staging} (a direct
   * buffer of 4 bytes a parameter in native order, kept by the caller from call to call) when it is
   * not null: on the CPU libtorch then reads the buffer in place, where a fresh tensor would cost a
   * direct allocation and a second copy of the vector on every call.
   */
  public static void overwriteAll(UNet2DModel model, float[] flat, ByteBuffer staging) {
    PtNDArray[] params = arrays(model);
    long total = size(params);
    if (total != flat.length) {
      throw new IllegalArgumentException(
          "weights: " + flat.length + " values for a model of " + total + " parameters");
    }
    try (PtNDManager scratch = (PtNDManager) params[0].getManager().newSubManager()) {
      PtNDArray all; // (total,) on the model's device
      if (staging == null) {
        all = (PtNDArray) scratch.create(flat);
      } else {
        if (!staging.isDirect()
            || staging.capacity() != flat.length * Float.BYTES
            || staging.order() != ByteOrder.nativeOrder()) {
          throw new IllegalArgumentException(
              "staging: a direct native-order buffer of " + flat.length * Float.BYTES + " bytes");
        }
        staging.clear();
        staging.asFloatBuffer().put(flat);
        all = (PtNDArray) scratch.create(staging, new Shape(flat.length), DataType.FLOAT32);
      }
      COPY_PARAMETERS.applyWithList(scratch, all, params);
    }
  }

  /**
   * The gradients of {@code model}'s parameters, in state-dict order, as one vector: concatenated
   * inside libtorch by a scripted module ({@code flat_gradient.pt}) and copied out once (one
   * device-to-host copy on a GPU).
   */
  public static float[] flatGradient(UNet2DModel model) {
    PtNDArray[] params = arrays(model);
    try (PtNDManager scratch = (PtNDManager) params[0].getManager().newSubManager()) {
      return FLAT_GRADIENT.applyToList(scratch, params).toFloatArray();
    }
  }

  /**
   * As {@link #flatGradient(UNet2DModel)}, written into {@code out} at its position (4 bytes a
   * parameter, in {@code out}'s byte order; the position advances past them) instead of a new
   * array: one bulk copy out of libtorch's memory (byte-swapped when the order is not native; after
   * a device-to-host copy on a GPU).
   */
  public static void flatGradient(UNet2DModel model, ByteBuffer out) {
    PtNDArray[] params = arrays(model);
    try (PtNDManager scratch = (PtNDManager) params[0].getManager().newSubManager()) {
      NDArray g = FLAT_GRADIENT.applyToList(scratch, params);
      // A view of the tensor's memory on the CPU, valid while g lives.
      ByteBuffer view = g.toByteBuffer(true).order(ByteOrder.nativeOrder());
      int at = out.position();
      out.asFloatBuffer().put(view.asFloatBuffer());
      out.position(at + view.remaining());
    }
  }

  /** Number of values in {@code params}. */
  static long size(PtNDArray[] params) {
    long total = 0;
    for (PtNDArray p : params) {
      total += p.getShape().size();
    }
    return total;
  }

  /** The parameter arrays in state-dict order. */
  static PtNDArray[] arrays(UNet2DModel model) {
    return model.namedParameters().values().stream()
        .map(p -> (PtNDArray) p.getArray())
        .toArray(PtNDArray[]::new);
  }

  private static String abbreviate(TreeSet<String> keys) {
    List<String> list = new ArrayList<>(keys);
    return list.size() <= 6
        ? list.toString()
        : list.subList(0, 6) + " and " + (list.size() - 6) + " more";
  }

  /** The model's weights as diffusers' state dict, in diffusers' order. */
  public static Map<String, Tensor> export(UNet2DModel model) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
      NDArray a = e.getValue().getArray();
      out.put(e.getKey(), Tensor.ofFloats(a.getShape().getShape(), a.toFloatArray()));
    }
    return out;
  }

  /**
   * torch's default initialisation, drawn from {@code seed}: convolutions and linear layers uniform
   * in +-1/sqrt(fan_in) (kaiming_uniform with a = sqrt(5), and the same bound for their biases);
   * GroupNorm weight 1 and bias 0; the class embedding standard normal. The values depend only on
   * the seed and the config.
   */
  public static Map<String, Tensor> torchDefaultInit(UNet2DModel model, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    Map<String, Tensor> out = new LinkedHashMap<>();
    Map<String, Parameter> params = model.namedParameters();
    for (Map.Entry<String, Parameter> e : params.entrySet()) {
      String key = e.getKey();
      long[] shape = e.getValue().getShape().getShape();
      float[] values = new float[Math.toIntExact(Tensor.numel(shape))];
      String owner = key.substring(0, key.lastIndexOf('.'));
      if (isNorm(owner)) {
        Arrays.fill(values, key.endsWith(".weight") ? 1f : 0f);
      } else if (owner.equals("class_embedding")) {
        for (int i = 0; i < values.length; i++) {
          values[i] = (float) random.nextGaussian(); // nn.Embedding: N(0, 1)
        }
      } else {
        long[] weightShape = params.get(owner + ".weight").getShape().getShape();
        long fanIn = Tensor.numel(weightShape) / weightShape[0];
        double bound = 1.0 / Math.sqrt(fanIn);
        for (int i = 0; i < values.length; i++) {
          values[i] = (float) ((random.nextDouble() * 2 - 1) * bound);
        }
      }
      out.put(key, Tensor.ofFloats(shape, values));
    }
    return out;
  }

  private static boolean isNorm(String owner) {
    String last = owner.substring(owner.lastIndexOf('.') + 1);
    return last.startsWith("norm") || last.equals("group_norm") || last.equals("conv_norm_out");
  }
}
