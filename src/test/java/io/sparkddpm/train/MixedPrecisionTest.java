package io.sparkddpm.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import io.sparkddpm.Reference;
import io.sparkddpm.io.SafeTensors;
import io.sparkddpm.io.Tensor;
import io.sparkddpm.model.Precision;
import io.sparkddpm.model.UNet2DModel;
import io.sparkddpm.model.UNetConfig;
import io.sparkddpm.model.UNetWeights;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code --precision bf16} against float32 and against {@code torch.autocast("cpu",
 * torch.bfloat16)} on the same tiny diffusers UNet, weights and inputs ({@code
 * reference/bf16_autocast.safetensors}, written by {@code
 * reference/scripts/bf16_autocast_reference.py}).
 *
 * <p>Tolerances are relative L2 errors, {@code |a - b| / |b|} over the whole tensor. bfloat16 keeps
 * 8 significant bits (a rounding error of up to 2^-9 = 0.2% per value), and a forward through ~20
 * rounded layers ends a few times that away from float32; two bfloat16 implementations (libtorch
 * through DJL here, torch's autocast there) round at slightly different places, so they differ from
 * each other by about as much as each does from float32.
 */
class MixedPrecisionTest {
  /** Forward output, bf16 against the float32 reference. */
  static final double FORWARD_TOLERANCE = 0.02;

  /** Gradient (flat, all parameters), bf16 against autocast's bf16 gradient. */
  static final double GRADIENT_TOLERANCE = 0.05;

  private static final SafeTensors.Contents REF = Reference.tensors("bf16_autocast.safetensors");

  @Test
  void bf16ForwardMatchesFp32WithinBf16Tolerance() {
    try (NDManager manager = NDManager.newBaseManager()) {
      UNet2DModel model = model(manager);

      float[] fp32 = forward(model, manager, Precision.FP32);

      float[] bf16 = forward(model, manager, Precision.BF16);
      float[] refFp32 = REF.get("output.fp32").toFloats();
      float[] refBf16 = REF.get("output.bf16").toFloats();
      double fp32VsTorch = Reference.relativeError(fp32, refFp32);
      double bf16VsFp32 = Reference.relativeError(bf16, refFp32);
      double bf16VsAutocast = Reference.relativeError(bf16, refBf16);
      double autocastVsFp32 = Reference.relativeError(refBf16, refFp32);
      System.out.printf(
          "forward: fp32 vs torch %.2e, bf16 vs fp32 %.2e, bf16 vs autocast %.2e, autocast vs"
              + " fp32 %.2e%n",
          fp32VsTorch, bf16VsFp32, bf16VsAutocast, autocastVsFp32);
      assertTrue(fp32VsTorch < 1e-5, "float32 forward against torch: " + fp32VsTorch);
      assertTrue(bf16VsFp32 > 1e-4, "bf16 forward is not rounded at all: " + bf16VsFp32);
      assertTrue(bf16VsFp32 < FORWARD_TOLERANCE, "bf16 forward against fp32: " + bf16VsFp32);
      assertTrue(bf16VsAutocast < FORWARD_TOLERANCE, "bf16 against autocast: " + bf16VsAutocast);
    }
  }

  @Test
  void bf16GradientsAreFloat32AndMatchAutocast() {
    try (NDManager manager = NDManager.newBaseManager()) {
      UNet2DModel model = model(manager);
      GradientStep.Partial bf16 = step(model, manager, Precision.BF16);
      for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
        NDArray w = e.getValue().getArray();
        assertEquals(DataType.FLOAT32, w.getDataType(), "master weight " + e.getKey());
        assertEquals(DataType.FLOAT32, w.getGradient().getDataType(), "gradient " + e.getKey());
      }
      GradientStep.Partial fp32 = step(model, manager, Precision.FP32);
      float[] refBf16 = referenceGradient(model, "bf16");
      float[] refFp32 = referenceGradient(model, "fp32");
      double fp32VsTorch = Reference.relativeError(fp32.gradSum(), refFp32);
      double bf16VsAutocast = Reference.relativeError(bf16.gradSum(), refBf16);
      double bf16VsFp32 = Reference.relativeError(bf16.gradSum(), refFp32);
      double autocastVsFp32 = Reference.relativeError(refBf16, refFp32);
      double lossBf16 = REF.get("loss.bf16").toFloats()[0];
      System.out.printf(
          "gradient: fp32 vs torch %.2e, bf16 vs autocast %.2e, bf16 vs fp32 %.2e, autocast vs"
              + " fp32 %.2e; loss bf16 %.6f autocast %.6f%n",
          fp32VsTorch, bf16VsAutocast, bf16VsFp32, autocastVsFp32, bf16.lossSum(), lossBf16);
      assertTrue(fp32VsTorch < 1e-4, "float32 gradient against torch: " + fp32VsTorch);
      assertTrue(bf16VsAutocast < GRADIENT_TOLERANCE, "against autocast: " + bf16VsAutocast);
      assertEquals(lossBf16, bf16.lossSum(), 0.01 * lossBf16, "bf16 loss against autocast's");
    }
  }

  @Test
  void bf16StepIsBitwiseRepeatable() {
    try (NDManager manager = NDManager.newBaseManager()) {
      UNet2DModel model = model(manager);
      GradientStep.Partial first = step(model, manager, Precision.BF16);
      GradientStep.Partial again = step(model, manager, Precision.BF16);
      assertEquals(
          Double.doubleToRawLongBits(first.lossSum()), Double.doubleToRawLongBits(again.lossSum()));
      assertArrayEquals(first.gradSum(), again.gradSum());
    }
  }

  static UNet2DModel model(NDManager manager) {
    UNet2DModel model = new UNet2DModel(UNetConfig.fromJson(REF.metadata().get("config"), "ref"));
    model.initialize(manager);
    Map<String, Tensor> weights = new LinkedHashMap<>();
    REF.tensors()
        .forEach(
            (k, v) -> {
              if (k.startsWith("w.")) {
                weights.put(k.substring(2), v);
              }
            });
    UNetWeights.load(model, weights, "bf16_autocast.safetensors");
    return model;
  }

  private static float[] forward(UNet2DModel model, NDManager manager, Precision precision) {
    try (NDManager step = manager.newSubManager()) {
      NDArray x = libtorchOwned(Reference.nd(step, REF.get("sample"))); // (2, 1, 16, 16)
      NDArray t = libtorchOwned(Reference.nd(step, REF.get("timesteps"))); // (2,)

      NDArray out =
          model.forward(new ParameterStore(step, false), new NDList(x, t), false, precision).head();
      assertEquals(DataType.FLOAT32, out.getDataType(), "output dtype in " + precision);
      return out.toFloatArray();
    }
  }

  private static GradientStep.Partial step(UNet2DModel model, NDManager manager, Precision p) {
    Tensor sample = REF.get("sample");
    return GradientStep.backward(
        model,
        manager,
        Device.cpu(),
        p,
        sample.toFloats(),
        REF.get("noise").toFloats(),
        null,
        REF.get("timesteps").toFloats(),
        (int) sample.shape()[0],
        null,
        GradientStep.NOTHING);
  }

  /** The reference gradient of {@code name} in the model's flat (state-dict) order. */
  private static float[] referenceGradient(UNet2DModel model, String name) {
    int n = 0;
    for (Parameter p : model.namedParameters().values()) {
      n += (int) p.getShape().size();
    }
    float[] flat = new float[n];
    int at = 0;
    for (String key : model.namedParameters().keySet()) {
      float[] g = REF.get("grad." + name + "." + key).toFloats();
      System.arraycopy(g, 0, flat, at, g.length);
      at += g.length;
    }
    return flat;
  }

  /** A copy in libtorch's memory, as the jobs hand inputs to the model. */
  private static NDArray libtorchOwned(NDArray javaBacked) {
    NDArray copy = javaBacked.duplicate();
    javaBacked.close();
    return copy;
  }
}
