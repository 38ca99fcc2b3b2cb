package io.sparkddpm.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.sparkddpm.Reference;
import io.sparkddpm.diffusion.SchedulerConfig.Algorithm;
import io.sparkddpm.io.SafeTensors;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * DDPM and DDIM steps with "trailing" and "linspace" spacing against diffusers 0.42.1
 * (reference/samplers.safetensors): single steps on random inputs, and 10-step trailing loops whose
 * model is a fixed function (the stored outputs are fed back, each step starting from this
 * scheduler's own previous sample). Tolerances are those of DdpmSchedulerTest and
 * DdimSchedulerTest.
 */
class SpacingParityTest {

  private static final SafeTensors.Contents REF = Reference.samplers();

  private static NoiseScheduler scheduler(String name, String spacing) {
    return NoiseScheduler.create(
        SchedulerConfig.ddpm()
            .withAlgorithm(Algorithm.ofShortName(name))
            .withTimestepSpacing(spacing));
  }

  @Test
  void stepsMatchDiffusersForTrailingAndLinspace() {
    try (NDManager m = NDManager.newBaseManager()) {
      for (int k = 0; REF.tensors().containsKey("step." + k + ".t"); k++) {
        String p = "step." + k + ".";
        String[] c = caseName(p).split("\\.");
        NoiseScheduler s = scheduler(c[0], c[1]);
        s.setTimesteps((int) Reference.scalar(REF, p + "n"));
        long t = Reference.scalar(REF, p + "t");
        NDArray noise =
            REF.tensors().containsKey(p + "variance_noise")
                ? Reference.nd(m, REF.get(p + "variance_noise"))
                : null;
        NoiseScheduler.StepResult r =
            s.step(
                Reference.nd(m, REF.get(p + "model_output")),
                t,
                Reference.nd(m, REF.get(p + "sample")),
                s.usesNoise(t) ? noise : null);
        double prev =
            Reference.maxAbsDiff(
                REF.get(p + "prev_sample").toFloats(), r.prevSample().toFloatArray());
        double x0 =
            Reference.maxAbsDiff(
                REF.get(p + "pred_original_sample").toFloats(),
                r.predOriginalSample().toFloatArray());
        long prevT =
            s instanceof DdpmScheduler d
                ? d.previousTimestep(t)
                : ((DdimScheduler) s).previousTimestep(t);
        System.out.printf(
            "%-14s step t=%3d -> %4d  prev_sample max-abs %.3g, pred_original_sample %.3g%n",
            caseName(p), t, prevT, prev, x0);
        assertEquals(Reference.scalar(REF, p + "prev_t"), prevT, p + "prev_t");
        assertTrue(prev <= (c[0].equals("ddim") ? 1e-5 : 1e-4), p + "prev_sample: " + prev);
        assertTrue(x0 <= 1e-4, p + "pred_original_sample: " + x0);
      }
    }
  }

  private static String caseName(String prefix) {
    int[] bytes = REF.get(prefix + "case").toUnsignedBytes();
    byte[] b = new byte[bytes.length];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) bytes[i];
    }
    return new String(b, StandardCharsets.US_ASCII);
  }

  @Test
  void ddpmTrailingLoopReproducesDiffusers() {
    replay("ddpm_trailing_10", scheduler("ddpm", "trailing"), 10, 1e-4);
  }

  @Test
  void ddimTrailingLoopReproducesDiffusers() {
    replay("ddim_trailing_10", scheduler("ddim", "trailing"), 10, 1e-4);
  }

  /**
   * Replays loop {@code name}: the stored model outputs (and DDPM's variance noise) in place of the
   * model, this scheduler's own samples carried from step to step; every step's sample and x_0
   * prediction compared. Shared with DpmSolverMultistepSchedulerTest.
   */
  static void replay(String name, NoiseScheduler s, int n, double tolerance) {
    String p = "loop." + name + ".";
    try (NDManager m = NDManager.newBaseManager()) {
      s.setTimesteps(n);
      long[] timesteps = s.timesteps();
      assertArrayEquals(REF.get(p + "timesteps").toLongs(), timesteps, name + " timesteps");
      NDArray sample = Reference.nd(m, REF.get(p + "x_T"));
      double worst = 0;
      for (int i = 0; i < timesteps.length; i++) {
        NDArray eps = Reference.nd(m, REF.get(p + "model_output." + i));
        NDArray noise =
            s.usesNoise(timesteps[i]) ? Reference.nd(m, REF.get(p + "noise." + i)) : null;
        NoiseScheduler.StepResult r = s.step(eps, timesteps[i], sample, noise);
        sample = r.prevSample();
        double diff =
            Reference.maxAbsDiff(REF.get(p + "sample." + i).toFloats(), sample.toFloatArray());
        double x0 =
            Reference.maxAbsDiff(
                REF.get(p + "x0." + i).toFloats(), r.predOriginalSample().toFloatArray());
        worst = Math.max(worst, Math.max(diff, x0));
        assertTrue(diff <= tolerance, name + " step " + i + " sample: " + diff);
        assertTrue(x0 <= tolerance, name + " step " + i + " x0: " + x0);
      }
      System.out.printf(
          "%-22s %2d steps: worst max-abs over samples and x0 %.3g%n", name, n, worst);
    }
  }
}
