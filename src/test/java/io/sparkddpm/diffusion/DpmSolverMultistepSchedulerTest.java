package io.sparkddpm.diffusion;

import static io.sparkddpm.diffusion.DdpmSchedulerTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.sparkddpm.Reference;
import io.sparkddpm.diffusion.SchedulerConfig.Algorithm;
import io.sparkddpm.io.SafeTensors;
import org.junit.jupiter.api.Test;

/**
 * DPM-Solver++(2M) against diffusers 0.42.1's DPMSolverMultistepScheduler
 * (reference/samplers.safetensors): the noise levels, and whole 10- and 20-step loops whose model
 * is a fixed function, compared at every step.
 */
class DpmSolverMultistepSchedulerTest {

  private static final SafeTensors.Contents REF = Reference.samplers();

  /** The tutorial's betas with DPM-Solver++'s own default spacing, "linspace". */
  private static DpmSolverMultistepScheduler scheduler(String spacing) {
    return new DpmSolverMultistepScheduler(
        SchedulerConfig.ddpm()
            .withAlgorithm(Algorithm.DPMSOLVER_PLUSPLUS)
            .withTimestepSpacing(spacing));
  }

  @Test
  void sigmasEqualDiffusers() {
    float[] expected = REF.get("dpmsolver.sigmas").toFloats();
    double rel = Reference.maxRelativeDiff(expected, scheduler("linspace").trainSigmas());
    System.out.printf("dpmsolver++ training sigmas   max relative %.3g%n", rel);
    assertTrue(rel <= 1e-6, "sigmas: " + rel);
    for (String loop : new String[] {"linspace_10", "linspace_20", "trailing_10"}) {
      String[] parts = loop.split("_");
      DpmSolverMultistepScheduler s = scheduler(parts[0]);
      s.setTimesteps(Integer.parseInt(parts[1]));
      float[] want = REF.get("loop.dpmsolver_" + loop + ".sigmas").toFloats();
      float[] got = s.sigmas();
      assertEquals(0f, got[got.length - 1], "final sigma");
      double r = Reference.maxRelativeDiff(want, got);
      assertTrue(r <= 1e-6, loop + " sigmas: " + r);
    }
  }

  @Test
  void tenStepLinspaceLoopReproducesDiffusers() {
    SpacingParityTest.replay("dpmsolver_linspace_10", scheduler("linspace"), 10, 1e-4);
  }

  @Test
  void twentyStepLinspaceLoopReproducesDiffusers() {
    SpacingParityTest.replay("dpmsolver_linspace_20", scheduler("linspace"), 20, 1e-4);
  }

  @Test
  void tenStepTrailingLoopReproducesDiffusers() {
    SpacingParityTest.replay("dpmsolver_trailing_10", scheduler("trailing"), 10, 1e-4);
  }

  @Test
  void setTimestepsStartsAFreshRunAndTheSolverIsDeterministic() {
    try (NDManager m = NDManager.newBaseManager()) {
      DpmSolverMultistepScheduler s = scheduler("linspace");
      assertFalse(s.usesNoise(999));
      float[][] finals = new float[2][];
      for (int run = 0; run < 2; run++) {
        s.setTimesteps(4);
        NDArray x = m.ones(new Shape(1, 1, 2, 2));
        for (long t : s.timesteps()) {
          x = s.step(x.mul(0.5f), t, x, null).prevSample();
        }
        finals[run] = x.toFloatArray();
      }
      assertArrayEquals(finals[0], finals[1], 0f);
    }
  }

  @Test
  void outOfOrderStepsAndRepeatedTimestepsAreRefused() {
    try (NDManager m = NDManager.newBaseManager()) {
      DpmSolverMultistepScheduler s = scheduler("linspace");
      NDArray x = m.zeros(new Shape(1, 1, 2, 2));
      assertMessage(() -> s.step(x, 999, x, null), "call setTimesteps(n) before step");
      s.setTimesteps(10);
      assertMessage(() -> s.step(x, 899, x, null), "expected t = 999, got t = 899");
      s.step(x, 999, x, null);
      assertMessage(() -> s.step(x, 999, x, null), "expected t = 899, got t = 999");
      assertMessage(() -> s.setTimesteps(1000), "repeat timestep");
      DpmSolverMultistepScheduler leading = scheduler("leading");
      assertMessage(() -> leading.setTimesteps(1000), "repeat timestep 0");
    }
  }
}
