package io.sparkddpm.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkddpm.io.SafeTensors;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/**
 * {@link Adam} against {@code torch.optim.Adam} (defaults, lr 1e-3) and {@code torch.optim.AdamW}
 * over 12 steps of one float32 vector of 4,099 values with gradients from 1e-6 to 10 and exact
 * zeros ({@code adam/adam_torch.safetensors}, written by {@code adam/adam_torch.py} with torch
 * 2.7.1, one thread). torch's {@code sqrt} is not correctly rounded on this CPU (626 of 4,099
 * values of {@code exp_avg_sq.sqrt()} differ from IEEE sqrt), so the parameters' last bit can
 * differ; the tolerance is stated in units in the last place of the largest expected magnitude.
 */
class AdamParityTest {
  /** Largest difference allowed, in units in the last place (ulp) of torch's largest value. */
  private static final double MAX_ULPS = 2;

  @Test
  void twelveStepsMatchTorch() throws Exception {
    SafeTensors.Contents ref = read("adam/adam_torch.safetensors");
    double[] lrs = new double[12];
    java.util.Arrays.fill(lrs, 1e-3);
    matchesTorch("Adam", ref, new Adam(ref.get("start").toFloats().length), lrs);
  }

  /**
   * {@code torch.optim.AdamW} with betas (0.95, 0.99), eps 1e-6, weight decay 0.05 and a cosine
   * learning rate changing every step ({@code adam/adamw_torch.safetensors}, written by {@code
   * adam/adamw_torch.py} as the other file).
   */
  @Test
  void adamWWithOtherBetasEpsilonAndWeightDecayMatchesTorch() throws Exception {
    SafeTensors.Contents ref = read("adam/adamw_torch.safetensors");
    Adam adamw =
        new Adam(new Adam.Hyper(0.95, 0.99, 0.05, 1e-6), ref.get("start").toFloats().length);
    matchesTorch("AdamW", ref, adamw, ref.get("lrs").toDoubles());
  }

  private SafeTensors.Contents read(String resource) throws Exception {
    try (InputStream in = getClass().getResourceAsStream("/" + resource)) {
      return SafeTensors.read(in, resource);
    }
  }

  private static void matchesTorch(String name, SafeTensors.Contents ref, Adam adam, double[] lrs) {
    float[] params = ref.get("start").toFloats();
    int n = params.length;
    float[] grads = ref.get("grads").toFloats();
    float[] after = ref.get("params").toFloats();
    int steps = grads.length / n;
    assertEquals(12, steps);
    assertEquals(steps, lrs.length);
    double worst = 0;
    int differing = 0;
    float[] start = params.clone();
    for (int s = 0; s < steps; s++) {
      float[] g = new float[n];
      System.arraycopy(grads, s * n, g, 0, n);
      adam.update(params, g, lrs[s]);
      float[] expected = new float[n];
      System.arraycopy(after, s * n, expected, 0, n);
      worst = Math.max(worst, ulps(expected, params));
      differing += differing(expected, params);
    }
    double mUlps = ulps(ref.get("exp_avg").toFloats(), adam.m());
    double vUlps = ulps(ref.get("exp_avg_sq").toFloats(), adam.v());
    System.out.printf(
        "%s against torch: params max %.2f ulp (%d of %d values differ over %d steps),"
            + " exp_avg %.2f ulp, exp_avg_sq %.2f ulp; params moved by up to %.3g%n",
        name, worst, differing, n * steps, steps, mUlps, vUlps, maxAbsDiff(start, after, n));
    assertTrue(worst <= MAX_ULPS, name + " params differ from torch's by " + worst + " ulp");
    assertTrue(mUlps <= MAX_ULPS, name + " exp_avg differs from torch's by " + mUlps + " ulp");
    assertTrue(vUlps <= MAX_ULPS, name + " exp_avg_sq differs from torch's by " + vUlps + " ulp");
  }

  /** How far torch's last parameters are from the start: what the tolerance is measured against. */
  private static double maxAbsDiff(float[] start, float[] after, int n) {
    int last = after.length - n;
    double d = 0;
    for (int i = 0; i < n; i++) {
      d = Math.max(d, Math.abs((double) after[last + i] - start[i]));
    }
    return d;
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
