package io.sparkddpm.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.sparkddpm.Reference;
import io.sparkddpm.diffusion.SchedulerConfig.Algorithm;
import io.sparkddpm.io.SafeTensors;
import org.junit.jupiter.api.Test;

/**
 * diffusers' 5-step DDPM and DDIM sampling loops (reference/pipeline.safetensors) replayed with the
 * stored model outputs and variance noise in place of the UNet and torch's generator, each step
 * starting from this scheduler's own previous output, so errors accumulate as in sampling.
 */
class SamplingLoopTest {

  private static final SafeTensors.Contents REF = Reference.pipeline();

  @Test
  void ddpmLoopReproducesDiffusersSamples() {
    replay(Algorithm.DDPM, "", 1e-4);
  }

  @Test
  void ddimLoopReproducesDiffusersSamples() {
    replay(Algorithm.DDIM, "ddim.", 1e-4);
  }

  private static void replay(Algorithm algorithm, String prefix, double tolerance) {
    try (NDManager m = NDManager.newBaseManager()) {
      NoiseScheduler s = NoiseScheduler.create(SchedulerConfig.ddpm().withAlgorithm(algorithm));
      s.setTimesteps(5);
      long[] timesteps = s.timesteps();
      assertArrayEquals(REF.get(prefix + "timesteps").toLongs(), timesteps);
      NDArray sample = Reference.nd(m, REF.get(prefix + "x_T"));
      for (int i = 0; i < timesteps.length; i++) {
        NDArray eps = Reference.nd(m, REF.get(prefix + "noise_pred." + i));
        NDArray noise = s.usesNoise(timesteps[i]) ? Reference.nd(m, REF.get("noise." + i)) : null;
        sample = s.step(eps, timesteps[i], sample, noise).prevSample();
        double diff =
            Reference.maxAbsDiff(REF.get(prefix + "sample." + i).toFloats(), sample.toFloatArray());
        System.out.printf(
            "%s loop step %d (t=%3d)     sample max-abs %.3g%n", algorithm, i, timesteps[i], diff);
        assertTrue(diff <= tolerance, algorithm + " step " + i + ": " + diff);
      }
    }
  }
}
