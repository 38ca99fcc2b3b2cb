package io.sparkddpm.sample;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.sparkddpm.Reference;
import io.sparkddpm.diffusion.NoiseScheduler;
import io.sparkddpm.diffusion.SchedulerConfig;
import io.sparkddpm.io.SafeTensors;
import io.sparkddpm.model.UNet2DModel;
import org.junit.jupiter.api.Test;

/**
 * The sampling loop against diffusers' 5-step DDPM and DDIM loops in {@code
 * reference/pipeline.safetensors} (reference model, stored x_T and variance noise). Tolerance:
 * max-abs 1e-4 on every intermediate sample, as the reference README suggests.
 */
class SamplerParityTest {

  private static Sampler.Noise stored(SafeTensors.Contents ref, String prefix) {
    return new Sampler.Noise() {
      @Override
      public NDArray start(NDManager manager, Shape shape) {
        return Reference.nd(manager, ref.get(prefix + "x_T"));
      }

      @Override
      public NDArray step(NDManager manager, Shape shape, int k, long t) {
        return Reference.nd(manager, ref.get("noise." + k));
      }
    };
  }

  private static void loopMatches(SchedulerConfig.Algorithm algorithm, String prefix) {
    SafeTensors.Contents ref = Reference.tensors("pipeline.safetensors");
    try (NDManager manager = NDManager.newBaseManager()) {
      UNet2DModel model = Reference.model(manager);
      NoiseScheduler scheduler =
          NoiseScheduler.create(SchedulerConfig.ddpm().withAlgorithm(algorithm));
      scheduler.setTimesteps(5);
      assertArrayEquals(ref.get(prefix + "timesteps").toLongs(), scheduler.timesteps());
      Sampler.Result r = Sampler.run(model, manager, scheduler, 2, stored(ref, prefix), 5);
      for (int i = 0; i < 5; i++) {
        double diff = maxAbs(r.snapshots().get(i), ref.get(prefix + "sample." + i).toFloats());
        System.out.printf(
            "pipeline %-5s sample.%d max-abs %.3e (tolerance 1e-4)%n", algorithm, i, diff);
        assertTrue(diff <= 1e-4, prefix + "sample." + i + ": " + diff);
      }
      double fin = maxAbs(r.images(), ref.get(prefix + "final").toFloats());
      System.out.printf("pipeline %-5s final    max-abs %.3e (tolerance 1e-4)%n", algorithm, fin);
      assertTrue(fin <= 1e-4, "final: " + fin);
      // One wall time per denoising step (what SampleJob logs and bench.sh reads).
      assertEquals(5, r.stepMs().length);
      for (double ms : r.stepMs()) {
        assertTrue(ms > 0, "step time " + ms);
      }
    }
  }

  private static double maxAbs(float[] a, float[] b) {
    double m = 0;
    for (int i = 0; i < a.length; i++) {
      m = Math.max(m, Math.abs((double) a[i] - b[i]));
    }
    return m;
  }

  @Test
  void ddpmLoopMatchesDiffusersPipeline() {
    loopMatches(SchedulerConfig.Algorithm.DDPM, "");
  }

  @Test
  void ddimLoopMatchesDiffusersPipeline() {
    loopMatches(SchedulerConfig.Algorithm.DDIM, "ddim.");
  }
}
