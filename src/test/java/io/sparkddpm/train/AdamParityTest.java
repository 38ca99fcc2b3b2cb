package io.sparkddpm.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkddpm.io.SafeTensors;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/**
 * {@link Adam} against {@code torch.optim.Adam} (defaults, lr 1e-3) over 12 steps of one float32
 * vector of 4,099 values with gradients from 1e-6 to 10 and exact zeros ({@code
 * adam/adam_torch.safetensors}, written by {@code adam/adam_torch.py} with torch 2.7.1, one
 * thread). torch's {@code sqrt} is not correctly rounded on this CPU (626 of 4,099 values of {@code
 * exp_avg_sq.sqrt()} differ from IEEE sqrt), so the parameters' last bit can differ; the tolerance
 * is stated in units in the last place of the largest expected magnitude.
 */
class AdamParityTest {
  /** Largest difference allowed, in units in the last place (ulp) of torch's largest value. */
  private static final double MAX_ULPS = 2;

  @Test
  void twelveStepsMatchTorch() throws Exception {
    SafeTensors.Contents ref;
    try (InputStream in = getClass().getResourceAsStream("/adam/adam_torch.safetensors")) {
      ref = SafeTensors.read(in, "adam/adam_torch.safetensors");
    }
    float[] params = ref.get("start").toFloats();
    int n = params.length;
    float[] grads = ref.get("grads").toFloats();
    float[] after = ref.get("params").toFloats();
    int steps = grads.length / n;
    assertEquals(12, steps);
    Adam adam = new Adam(n);
    double worst = 0;
    int differing = 0;
    for (int s = 0; s < steps; s++) {
      float[] g = new float[n];
      System.arraycopy(grads, s * n, g, 0, n);
      adam.update(params, g, 1e-3);
      float[] expected = new float[n];
      System.arraycopy(after, s * n, expected, 0, n);
      worst = Math.max(worst, ulps(expected, params));
      differing += differing(expected, params);
    }
    double mUlps = ulps(ref.get("exp_avg").toFloats(), adam.m());
    double vUlps = ulps(ref.get("exp_avg_sq").toFloats(), adam.v());
    System.out.printf(
        "Adam against torch: params max %.2f ulp (%d of %d values differ over %d steps),"
            + " exp_avg %.2f ulp, exp_avg_sq %.2f ulp%n",
        worst, differing, n * steps, steps, mUlps, vUlps);
    assertTrue(worst <= MAX_ULPS, "params differ from torch's by " + worst + " ulp");
    assertTrue(mUlps <= MAX_ULPS, "exp_avg differs from torch's by " + mUlps + " ulp");
    assertTrue(vUlps <= MAX_ULPS, "exp_avg_sq differs from torch's by " + vUlps + " ulp");
  }

  /** The largest difference in units in the last place of the largest expected magnitude. */
  private static double ulps(float[] expected, float[] actual) {
    assertEquals(expected.length, actual.length);
    double diff = 0;
    float scale = 0;
    for (int i = 0; i < expected.length; i++) {
      diff = Math.max(diff, Math.abs((double) expected[i] - actual[i]));
      scale = Math.max(scale, Math.abs(expected[i]));
    }
    return diff / Math.ulp(scale);
  }

  private static int differing(float[] expected, float[] actual) {
    int n = 0;
    for (int i = 0; i < expected.length; i++) {
      n += Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i]) ? 1 : 0;
    }
    return n;
  }
}
