package io.sparkddpm.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import io.sparkddpm.Reference;
import io.sparkddpm.io.SafeTensors;
import io.sparkddpm.model.Engines;
import io.sparkddpm.model.NDArrays;
import io.sparkddpm.model.Precision;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * EvaluateJob's classifier in {@code --precision bf16} against float32 and against {@code
 * torch.autocast("cpu", torch.bfloat16)} on the same LeNet weights and images ({@code
 * reference/lenet_autocast.safetensors}, written by {@code
 * reference/scripts/lenet_autocast_reference.py}).
 *
 * <p>Tolerances are relative L2 errors over the whole tensor. bfloat16 keeps 8 significant bits (up
 * to 0.2% rounding per value); five rounded layers measured 2.4e-3 (logits) and 4.3e-3 (features)
 * from float32. torch's autocast and this forward run the same libtorch 2.7.1 ops on the same
 * bfloat16 copies and measured 0 apart; the bound leaves room for another build's kernels.
 */
class LeNetPrecisionTest {
  /** bf16 logits and features against float32's. */
  static final double BF16_TOLERANCE = 0.01;

  /** bf16 logits and features against torch autocast's. */
  static final double AUTOCAST_TOLERANCE = 1e-3;

  private static final SafeTensors.Contents REF = Reference.tensors("lenet_autocast.safetensors");

  @Test
  void bf16ForwardMatchesTorchAutocastAndFp32MatchesTorch() {
    try (NDManager manager = Engines.pytorch().newBaseManager()) {
      NDList fp32 = forward(manager, Precision.FP32);
      NDList bf16 = forward(manager, Precision.BF16);
      assertEquals(DataType.FLOAT32, bf16.get(0).getDataType(), "logits come back as float32");
      assertEquals(DataType.FLOAT32, bf16.get(1).getDataType(), "features come back as float32");
      for (int i = 0; i < 2; i++) {
        String name = i == 0 ? "logits" : "features";
        float[] refFp32 = REF.get(name + ".fp32").toFloats();
        float[] refBf16 = REF.get(name + ".bf16").toFloats();
        double fp32VsTorch = Reference.relativeError(fp32.get(i).toFloatArray(), refFp32);
        double bf16VsFp32 = Reference.relativeError(bf16.get(i).toFloatArray(), refFp32);
        double bf16VsAutocast = Reference.relativeError(bf16.get(i).toFloatArray(), refBf16);
        System.out.printf(
            "LeNet %s: fp32 vs torch %.2e, bf16 vs fp32 %.2e, bf16 vs autocast %.2e,"
                + " autocast vs fp32 %.2e%n",
            name,
            fp32VsTorch,
            bf16VsFp32,
            bf16VsAutocast,
            Reference.relativeError(refBf16, refFp32));
        assertTrue(fp32VsTorch < 1e-5, name + " float32 against torch: " + fp32VsTorch);
        assertTrue(bf16VsFp32 > 1e-4, name + " bf16 is not rounded at all: " + bf16VsFp32);
        assertTrue(bf16VsFp32 < BF16_TOLERANCE, name + " bf16 against fp32: " + bf16VsFp32);
        assertTrue(
            bf16VsAutocast < AUTOCAST_TOLERANCE,
            name + " bf16 against autocast: " + bf16VsAutocast);
      }
    }
  }

  /** The reference network in {@code precision} on the reference images: logits, features. */
  private static NDList forward(NDManager manager, Precision precision) {
    LeNet net = new LeNet(LeNetConfig.defaults(), precision);
    net.initialize(manager);
    for (Map.Entry<String, Parameter> e : net.stateDict().entrySet()) {
      NDArrays.fill(e.getValue().getArray(), REF.get("w." + e.getKey()).toFloats(), 0);
    }
    NDArray images = manager.create(REF.get("images").toFloats(), new Shape(8, 1, 32, 32));
    return net.forward(new ParameterStore(manager, false), new NDList(images), false);
  }
}
