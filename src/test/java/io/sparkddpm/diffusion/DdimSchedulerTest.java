package io.sparkddpm.diffusion;

import static io.sparkddpm.diffusion.DdpmSchedulerTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.sparkddpm.Reference;
import io.sparkddpm.io.SafeTensors;
import org.junit.jupiter.api.Test;

/** Golden tests against diffusers' DDIMScheduler (reference/ddim.safetensors). */
class DdimSchedulerTest {

  private static final SafeTensors.Contents REF = Reference.ddim();

  private static DdimScheduler scheduler() {
    return new DdimScheduler(SchedulerConfig.ddpm().withAlgorithm(SchedulerConfig.Algorithm.DDIM));
  }

  @Test
  void finalAlphaIsOneAndTimestepsEqualDiffusers() {
    assertEquals(REF.get("final_alpha_cumprod").toFloats()[0], scheduler().finalAlphaCumprod());
    for (int n : new int[] {50, 10}) {
      DdimScheduler s = scheduler();
      s.setTimesteps(n);
      assertArrayEquals(REF.get("timesteps_" + n).toLongs(), s.timesteps(), "n = " + n);
    }
  }

  @Test
  void stepMatchesDiffusersInAllFourCases() {
    try (NDManager m = NDManager.newBaseManager()) {
      for (int k = 0; k < 4; k++) {
        String p = "step" + k + ".";
        int n = (int) Reference.scalar(REF, p + "n");
        long t = Reference.scalar(REF, p + "t");
        DdimScheduler s = scheduler();
        s.setTimesteps(n);
        NoiseScheduler.StepResult r =
            s.step(
                Reference.nd(m, REF.get(p + "model_output")),
                t,
                Reference.nd(m, REF.get(p + "sample")),
                null);
        double prev =
            Reference.maxAbsDiff(
                REF.get(p + "prev_sample").toFloats(), r.prevSample().toFloatArray());
        double x0 =
            Reference.maxAbsDiff(
                REF.get(p + "pred_original_sample").toFloats(),
                r.predOriginalSample().toFloatArray());
        System.out.printf(
            "ddim step%d (n=%2d, t=%3d)    prev_sample max-abs %.3g, pred_original_sample max-abs %.3g%n",
            k, n, t, prev, x0);
        assertTrue(prev <= 1e-5, p + "prev_sample: " + prev);
        assertTrue(x0 <= 1e-4, p + "pred_original_sample: " + x0);
        assertEquals(Reference.scalar(REF, p + "prev_t"), s.previousTimestep(t), p + "prev_t");
      }
    }
  }

  @Test
  void positiveEtaAddsScaledNoiseAsEquation16Says() {
    double eta = 0.5;
    String p = "step0."; // n = 10, t = 900 -> 800
    try (NDManager m = NDManager.newBaseManager()) {
      float[] eps = REF.get(p + "model_output").toFloats();
      float[] x = REF.get(p + "sample").toFloats();
      float[] z = SeededNoise.standardNormal(42, eps.length);
      Shape shape = new Shape(REF.get(p + "sample").shape());
      DdimScheduler s = scheduler();
      s.setTimesteps(10);
      float[] prev =
          s.step(m.create(eps, shape), 900, m.create(x, shape), eta, m.create(z, shape))
              .prevSample()
              .toFloatArray();

      // Song et al. 2021, eq. 12 with σ of eq. 16, evaluated in double from the float32 ᾱ.
      float[] ac = s.alphasCumprod();
      double aT = ac[900];
      double aPrev = ac[800];
      double sigma = eta * Math.sqrt((1 - aPrev) / (1 - aT) * (1 - aT / aPrev));
      double worst = 0;
      for (int i = 0; i < 16; i++) {
        double x0 = (x[i] - Math.sqrt(1 - aT) * eps[i]) / Math.sqrt(aT);
        x0 = Math.max(-1, Math.min(1, x0));
        double expected =
            Math.sqrt(aPrev) * x0 + Math.sqrt(1 - aPrev - sigma * sigma) * eps[i] + sigma * z[i];
        worst = Math.max(worst, Math.abs(expected - prev[i]));
      }
      DdimScheduler configured =
          new DdimScheduler(
              SchedulerConfig.ddpm().withAlgorithm(SchedulerConfig.Algorithm.DDIM).withEta(eta));
      configured.setTimesteps(10);
      assertTrue(configured.usesNoise(900));
      float[] viaConfig =
          configured
              .step(m.create(eps, shape), 900, m.create(x, shape), m.create(z, shape))
              .prevSample()
              .toFloatArray();
      assertArrayEquals(prev, viaConfig, 0f, "eta from the config equals eta passed to step");
      System.out.printf("ddim eta=0.5 vs double formula (16 elements) max-abs %.3g%n", worst);
      assertTrue(worst <= 1e-5, "eta = 0.5: " + worst);
      assertTrue(sigma > 0.05, "the test exercises a visible noise term: sigma " + sigma);
    }
  }

  @Test
  void zeroEtaIgnoresTheNoise() {
    try (NDManager m = NDManager.newBaseManager()) {
      DdimScheduler s = scheduler();
      s.setTimesteps(10);
      NDArray eps = Reference.nd(m, REF.get("step0.model_output"));
      NDArray x = Reference.nd(m, REF.get("step0.sample"));
      NDArray z = m.create(SeededNoise.standardNormal(7, (int) x.size()), x.getShape());
      float[] without = s.step(eps, 900, x, null).prevSample().toFloatArray();
      float[] with = s.step(eps, 900, x, 0.0, z).prevSample().toFloatArray();
      assertArrayEquals(without, with, 0f);
      assertTrue(!s.usesNoise(900));
      float[] noisy = s.step(eps, 900, x, 1.0, z).prevSample().toFloatArray();
      assertTrue(Reference.maxAbsDiff(without, noisy) > 0.01, "eta = 1 uses the noise");
    }
  }

  @Test
  void invalidArgumentsAreRefusedWithClearMessages() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray x = m.zeros(new Shape(1, 1, 4, 4));
      DdimScheduler fresh = scheduler();
      var e = assertThrows(IllegalStateException.class, () -> fresh.step(x, 980, x, null));
      assertTrue(e.getMessage().contains("call setTimesteps(n) before step"), e.getMessage());
      DdimScheduler s = scheduler();
      assertMessage(() -> s.setTimesteps(0), "got 0");
      assertMessage(() -> s.setTimesteps(1001), "got 1001");
      s.setTimesteps(10);
      assertMessage(() -> s.step(x, 900, x, 0.5, null), "eta = 0.5 > 0 needs varianceNoise");
      assertMessage(() -> s.step(x, 900, x, 1.5, x), "eta must be in [0, 1], got 1.5");
      assertMessage(() -> s.step(x, 1000, x, null), "timestep 1000 is outside");
    }
  }
}
