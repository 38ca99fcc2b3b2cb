package io.sparkddpm.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkddpm.Reference;
import org.junit.jupiter.api.Test;

class BetaScheduleTest {

  private static float[] ref(String name) {
    return Reference.ddpm().get(name).toFloats();
  }

  private static void compare(String name, float[] expected, float[] actual, double tolerance) {
    double rel = Reference.maxRelativeDiff(expected, actual);
    int bits = Reference.bitMismatches(expected, actual);
    System.out.printf(
        "%-22s max-rel %.3g, max-abs %.3g, %d of %d entries differ in any bit%n",
        name, rel, Reference.maxAbsDiff(expected, actual), bits, expected.length);
    assertTrue(rel <= tolerance, name + ": relative difference " + rel);
  }

  @Test
  void linearBetasReproduceTorchLinspaceBitForBit() {
    float[] betas = BetaSchedule.LINEAR.betas(1000, 1e-4, 0.02);
    compare("betas", ref("betas"), betas, 1e-6);
    assertArrayEquals(ref("betas"), betas, 0f, "the fused multiply-add mirror is bit-exact");
    assertEquals(1e-4f, betas[0]);
    assertEquals(0.02f, betas[999]);
  }

  @Test
  void alphasCumprodReproduceTorchCumprodBitForBit() {
    float[] ac = BetaSchedule.alphasCumprod(BetaSchedule.LINEAR.betas(1000, 1e-4, 0.02));
    compare("alphas_cumprod", ref("alphas_cumprod"), ac, 1e-6);
    assertArrayEquals(ref("alphas_cumprod"), ac, 0f);
  }

  @Test
  void cosineScheduleMatchesDiffusers() {
    float[] betas = BetaSchedule.SQUAREDCOS_CAP_V2.betas(1000, 1e-4, 0.02);
    compare("cos.betas", ref("cos.betas"), betas, 1e-6);
    compare(
        "cos.alphas_cumprod", ref("cos.alphas_cumprod"), BetaSchedule.alphasCumprod(betas), 1e-6);
    assertEquals(0.999f, betas[999], "the cap");
  }

  @Test
  void ddimUsesTheSameSchedule() {
    float[] ac =
        new DdimScheduler(SchedulerConfig.ddpm().withAlgorithm(SchedulerConfig.Algorithm.DDIM))
            .alphasCumprod();
    assertArrayEquals(Reference.ddim().get("alphas_cumprod").toFloats(), ac, 0f);
    assertArrayEquals(
        Reference.ddim().get("betas").toFloats(), BetaSchedule.LINEAR.betas(1000, 1e-4, 0.02), 0f);
  }

  @Test
  void parsesDiffusersNames() {
    assertEquals(BetaSchedule.LINEAR, BetaSchedule.parse("linear"));
    assertEquals(BetaSchedule.SQUAREDCOS_CAP_V2, BetaSchedule.parse("squaredcos_cap_v2"));
    assertEquals(BetaSchedule.SCALED_LINEAR, BetaSchedule.parse("scaled_linear"));
  }

  @Test
  void unknownScheduleIsRefusedListingTheSupportedOnes() {
    var e = assertThrows(IllegalArgumentException.class, () -> BetaSchedule.parse("sigmoid"));
    assertTrue(e.getMessage().contains("\"sigmoid\""), e.getMessage());
    assertTrue(
        e.getMessage().contains("\"linear\", \"scaled_linear\", \"squaredcos_cap_v2\""),
        e.getMessage());
  }

  @Test
  void tooFewTrainTimestepsAreRefused() {
    var e =
        assertThrows(
            IllegalArgumentException.class, () -> BetaSchedule.LINEAR.betas(1, 1e-4, 0.02));
    assertTrue(e.getMessage().contains("num_train_timesteps"), e.getMessage());
  }
}
