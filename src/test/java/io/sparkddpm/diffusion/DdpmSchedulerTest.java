package io.sparkddpm.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.sparkddpm.Reference;
import io.sparkddpm.io.SafeTensors;
import org.junit.jupiter.api.Test;

/** Golden tests against diffusers' DDPMScheduler (reference/ddpm.safetensors). */
class DdpmSchedulerTest {

  private static final SafeTensors.Contents REF = Reference.ddpm();

  private static DdpmScheduler scheduler() {
    return new DdpmScheduler(SchedulerConfig.ddpm());
  }

  @Test
  void withoutSetTimestepsEveryTrainingTimestepIsVisited() {
    DdpmScheduler s = scheduler();
    long[] ts = s.timesteps();
    assertEquals(1000, ts.length);
    assertEquals(999, ts[0]);
    assertEquals(0, ts[999]);
    assertEquals(499, s.previousTimestep(500));
  }

  @Test
  void leadingTimestepsEqualDiffusers() {
    for (int n : new int[] {50, 5, 1000}) {
      DdpmScheduler s = scheduler();
      s.setTimesteps(n);
      assertArrayEquals(REF.get("timesteps_" + n).toLongs(), s.timesteps(), "n = " + n);
    }
  }

  @Test
  void addNoiseMatchesDiffusersPerSample() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray x0 = Reference.nd(m, REF.get("x0"));
      NDArray noise = Reference.nd(m, REF.get("noise"));
      long[] t = REF.get("t").toLongs();
      float[] noisy = scheduler().addNoise(x0, noise, t).toFloatArray();
      double diff = Reference.maxAbsDiff(REF.get("noisy").toFloats(), noisy);
      System.out.printf("ddpm noisy                   max-abs %.3g%n", diff);
      assertTrue(diff <= 1e-6, "noisy: " + diff);
      float[] viaArray = scheduler().addNoise(x0, noise, m.create(t)).toFloatArray();
      assertArrayEquals(noisy, viaArray, 0f);
    }
  }

  @Test
  void stepMatchesDiffusersInAllEightCases() {
    try (NDManager m = NDManager.newBaseManager()) {
      for (int k = 0; k < 8; k++) {
        String p = "step" + k + ".";
        int n = (int) Reference.scalar(REF, p + "n");
        long t = Reference.scalar(REF, p + "t");
        DdpmScheduler s = scheduler();
        s.setTimesteps(n);
        NDArray noise = Reference.nd(m, REF.get(p + "variance_noise"));
        NoiseScheduler.StepResult r =
            s.step(
                Reference.nd(m, REF.get(p + "model_output")),
                t,
                Reference.nd(m, REF.get(p + "sample")),
                t > 0 ? noise : null);
        double prev =
            Reference.maxAbsDiff(
                REF.get(p + "prev_sample").toFloats(), r.prevSample().toFloatArray());
        double x0 =
            Reference.maxAbsDiff(
                REF.get(p + "pred_original_sample").toFloats(),
                r.predOriginalSample().toFloatArray());
        System.out.printf(
            "ddpm step%d (n=%4d, t=%3d)  prev_sample max-abs %.3g, pred_original_sample max-abs %.3g%n",
            k, n, t, prev, x0);
        assertTrue(prev <= 1e-4, p + "prev_sample: " + prev);
        assertTrue(x0 <= 1e-4, p + "pred_original_sample: " + x0);
        assertEquals(Reference.scalar(REF, p + "prev_t"), s.previousTimestep(t), p + "prev_t");
      }
    }
  }

  @Test
  void varianceMatchesDiffusersFloat32Arithmetic() {
    for (int k = 0; k < 8; k++) {
      String p = "step" + k + ".";
      long t = Reference.scalar(REF, p + "t");
      if (t == 0) {
        continue; // stored as 0: diffusers computes no variance at t = 0
      }
      DdpmScheduler s = scheduler();
      s.setTimesteps((int) Reference.scalar(REF, p + "n"));
      float expected = REF.get(p + "variance").toFloats()[0];
      float actual = s.variance(t);
      double rel = Math.abs((double) actual - expected) / expected;
      System.out.printf(
          "ddpm step%d variance           relative %.3g (%s)%n",
          k, rel, actual == expected ? "bit-exact" : "not bit-exact");
      assertTrue(rel <= 2e-4, p + "variance: " + rel);
    }
  }

  @Test
  void fixedLargeVarianceIsTheStepBeta() {
    SchedulerConfig c =
        new SchedulerConfig(
            SchedulerConfig.Algorithm.DDPM,
            1000,
            1e-4,
            0.02,
            BetaSchedule.LINEAR,
            true,
            1.0,
            "epsilon",
            "fixed_large",
            "leading",
            0,
            true,
            0.0);
    DdpmScheduler s = new DdpmScheduler(c);
    s.setTimesteps(50);
    float[] ac = s.alphasCumprod();
    assertEquals(1 - ac[500] / ac[480], s.variance(500), 1e-7);
    assertEquals(1 - ac[20] / ac[0], s.variance(20), 1e-7);
  }

  @Test
  void lastStepNeedsNoNoiseAndReturnsArraysOwnedBySampleManager() {
    try (NDManager m = NDManager.newBaseManager()) {
      DdpmScheduler s = scheduler();
      s.setTimesteps(5);
      NDArray sample = m.randomNormal(new Shape(2, 1, 4, 4));
      NDArray eps = m.randomNormal(new Shape(2, 1, 4, 4));
      int before = m.getManagedArrays().size();
      NoiseScheduler.StepResult r = s.step(eps, 0, sample, null);
      assertEquals(before + 2, m.getManagedArrays().size(), "only the two results remain");
      assertSame(m, r.prevSample().getManager());
      NDArray withZeros = s.step(eps, 0, sample, m.zeros(sample.getShape())).prevSample();
      assertArrayEquals(withZeros.toFloatArray(), r.prevSample().toFloatArray(), 0f);
      assertTrue(s.usesNoise(200) && !s.usesNoise(0));
    }
  }

  @Test
  void invalidArgumentsAreRefusedWithClearMessages() {
    DdpmScheduler s = scheduler();
    assertMessage(() -> s.setTimesteps(0), "got 0");
    assertMessage(() -> s.setTimesteps(-3), "got -3");
    assertMessage(() -> s.setTimesteps(1001), "num_train_timesteps = 1000], got 1001");
    s.setTimesteps(50);
    assertMessage(() -> s.previousTimestep(970), "timestep 970 is not in the schedule of 50 steps");
    assertMessage(() -> s.previousTimestep(1000), "outside [0, num_train_timesteps = 1000)");
    assertMessage(() -> s.previousTimestep(-1), "timestep -1 is outside");
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray x = m.zeros(new Shape(2, 1, 4, 4));
      assertMessage(() -> s.step(x, 980, x, null), "t = 980 > 0 needs varianceNoise");
      assertMessage(() -> s.step(x, 970, x, x), "timestep 970 is not in the schedule");
      assertMessage(
          () -> s.step(m.zeros(new Shape(2, 1, 4, 5)), 0, x, null), "modelOutput has shape");
      assertMessage(
          () -> s.addNoise(x, x, new long[] {1}), "one timestep per batch element: 2, got 1");
      assertMessage(() -> s.addNoise(x, x, new long[] {1, 1000}), "timestep 1000 is outside");
    }
  }

  @Test
  void stepsOffsetShiftsTheScheduleAndIsBounded() {
    SchedulerConfig c =
        new SchedulerConfig(
            SchedulerConfig.Algorithm.DDPM,
            1000,
            1e-4,
            0.02,
            BetaSchedule.LINEAR,
            true,
            1.0,
            "epsilon",
            "fixed_small",
            "leading",
            1,
            true,
            0.0);
    DdpmScheduler s = new DdpmScheduler(c);
    s.setTimesteps(5);
    assertArrayEquals(new long[] {801, 601, 401, 201, 1}, s.timesteps());
    assertEquals(-1, s.previousTimestep(1));
    assertMessage(
        () -> s.setTimesteps(1000), "steps_offset 1 pushes the first of 1000 timesteps to 1000");
  }

  static void assertMessage(org.junit.jupiter.api.function.Executable call, String fragment) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    assertTrue(
        e.getMessage() != null && e.getMessage().contains(fragment),
        "message \"" + e.getMessage() + "\" should contain \"" + fragment + "\"");
  }
}
