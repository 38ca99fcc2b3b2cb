package io.sparkddpm.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.sparkddpm.model.UNet2DModel;
import io.sparkddpm.model.UNetConfig;
import io.sparkddpm.model.UNetWeights;
import org.junit.jupiter.api.Test;

/**
 * The same step computed again in one process gives bitwise the same loss and gradient: the
 * engine's kernels (fused attention forward and backward included, on all of libtorch's threads)
 * add nothing nondeterministic to what resume and retry rely on.
 */
class RepeatedStepTest {

  @Test
  void sameStepGivesBitwiseIdenticalGradient() {
    int batch = 6;
    UNet2DModel model = new UNet2DModel(UNetConfig.tutorial());
    StepInputs in = StepInputs.random(batch, 3);
    float[] x = in.x();
    float[] eps = in.eps();
    float[] t = in.t();
    try (NDManager manager = NDManager.newBaseManager()) {
      model.initialize(manager);
      UNetWeights.load(model, UNetWeights.torchDefaultInit(model, 0), "init");
      GradientStep.Partial first =
          GradientStep.backward(
              model, manager, Device.cpu(), x, eps, null, t, batch, null, GradientStep.NOTHING);
      for (int repeat = 0; repeat < 3; repeat++) {
        GradientStep.Partial again =
            GradientStep.backward(
                model, manager, Device.cpu(), x, eps, null, t, batch, null, GradientStep.NOTHING);
        assertEquals(
            Double.doubleToRawLongBits(first.lossSum()),
            Double.doubleToRawLongBits(again.lossSum()),
            "loss of repeat " + repeat);
        assertArrayEquals(
            bits(first.gradSum()), bits(again.gradSum()), "gradient of repeat " + repeat);
      }
    }
  }

  private static int[] bits(float[] v) {
    int[] out = new int[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = Float.floatToRawIntBits(v[i]);
    }
    return out;
  }
}
