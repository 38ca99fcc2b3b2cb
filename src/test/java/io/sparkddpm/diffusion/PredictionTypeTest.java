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
 * Prediction types and beta schedules against diffusers 0.42.1 (reference/prediction.safetensors,
 * written by scripts/prediction_reference.py): schedules, single DDPM/DDIM steps for every type
 * with and without clipping, 10-step loops (DPM-Solver++, scaled_linear DDPM/DDIM), training
 * targets.
 */
class PredictionTypeTest {

  private static final SafeTensors.Contents REF = Reference.tensors("prediction.safetensors");

  private static SchedulerConfig config(
      Algorithm a,
      int t,
      BetaSchedule schedule,
      double start,
      double end,
      String prediction,
      boolean clip,
      String spacing,
      double eta) {
    return new SchedulerConfig(
        a, t, start, end, schedule, clip, 1.0, prediction, "fixed_small", spacing, 0, true, eta);
  }

  private static String text(String name) {
    return new String(REF.get(name).data(), StandardCharsets.UTF_8);
  }

  @Test
  void betasAndAlphasCumprodEqualDiffusersBitForBit() {
    Object[][] cases = {
      {"linear", BetaSchedule.LINEAR, 1000, 1e-4, 0.02},
      {"scaled_linear", BetaSchedule.SCALED_LINEAR, 1000, 0.00085, 0.012},
      {"scaled_linear_tutorial", BetaSchedule.SCALED_LINEAR, 1000, 1e-4, 0.02},
      {"linear_257", BetaSchedule.LINEAR, 257, 0.0002, 0.05},
      {"cosine_250", BetaSchedule.SQUAREDCOS_CAP_V2, 250, 1e-4, 0.02},
    };
    for (Object[] c : cases) {
      String name = (String) c[0];
      float[] betas = ((BetaSchedule) c[1]).betas((Integer) c[2], (Double) c[3], (Double) c[4]);
      float[] expected = REF.get("betas." + name).toFloats();
      float[] ac = BetaSchedule.alphasCumprod(betas);
      float[] expectedAc = REF.get("alphas_cumprod." + name).toFloats();
      System.out.printf(
          "%-24s betas: %d of %d differ in any bit (max-rel %.3g), alphas_cumprod: %d%n",
          name,
          Reference.bitMismatches(expected, betas),
          betas.length,
          Reference.maxRelativeDiff(expected, betas),
          Reference.bitMismatches(expectedAc, ac));
      assertTrue(Reference.maxRelativeDiff(expected, betas) <= 1e-6, name);
      assertTrue(Reference.maxRelativeDiff(expectedAc, ac) <= 1e-6, name);
      assertArrayEquals(expected, betas, 0f, name + " betas bit for bit");
    }
  }

  @Test
  void stepsOfEveryPredictionTypeWithAndWithoutClippingEqualDiffusers() {
    int cases = 0;
    try (NDManager m = NDManager.newBaseManager()) {
      for (int k = 0; REF.tensors().containsKey("step." + k + ".case"); k++, cases++) {
        String p = "step." + k + ".";
        String[] c = text(p + "case").split("\\.");
        Algorithm a = c[0].equals("ddpm") ? Algorithm.DDPM : Algorithm.DDIM;
        double eta = REF.get(p + "eta").toFloats()[0];
        NoiseScheduler s =
            NoiseScheduler.create(
                config(
                    a,
                    1000,
                    BetaSchedule.LINEAR,
                    1e-4,
                    0.02,
                    c[1],
                    c[2].equals("clip"),
                    "leading",
                    eta));
        s.setTimesteps((int) Reference.scalar(REF, p + "n"));
        long t = Reference.scalar(REF, p + "t");
        NDArray noise = Reference.nd(m, REF.get(p + "variance_noise"));
        NoiseScheduler.StepResult r =
            s.step(
                Reference.nd(m, REF.get(p + "model_output")),
                t,
                Reference.nd(m, REF.get(p + "sample")),
                s.usesNoise(t) ? noise : null);
        double prev = Reference.maxAbsDiff(r.prevSample(), REF.get(p + "prev_sample"));
        double x0 =
            Reference.maxAbsDiff(r.predOriginalSample(), REF.get(p + "pred_original_sample"));
        System.out.printf(
            "step %2d %-26s t=%3d eta=%.1f  prev_sample max-abs %.3g, x0 max-abs %.3g%n",
            k, text(p + "case"), t, eta, prev, x0);
        assertTrue(prev <= 1e-4, p + text(p + "case") + " prev_sample " + prev);
        assertTrue(x0 <= 1e-4, p + text(p + "case") + " pred_original_sample " + x0);
        if (c[2].equals("clip")) {
          float[] v = r.predOriginalSample().toFloatArray();
          for (float x : v) {
            assertTrue(Math.abs(x) <= 1f, "clipped x0 within ±1");
          }
        }
      }
    }
    assertEquals(36, cases);
  }

  @Test
  void tenStepLoopsWithVAndSamplePredictionsEqualDiffusers() {
    replay("dpmsolver_v", Algorithm.DPMSOLVER_PLUSPLUS, linear(), "v_prediction", "linspace");
    replay("dpmsolver_sample", Algorithm.DPMSOLVER_PLUSPLUS, linear(), "sample", "linspace");
    replay("ddim_scaled_v", Algorithm.DDIM, scaled(), "v_prediction", "trailing");
    replay("ddpm_scaled_v", Algorithm.DDPM, scaled(), "v_prediction", "trailing");
  }

  private static double[] linear() {
    return new double[] {0, 1e-4, 0.02};
  }

  private static double[] scaled() {
    return new double[] {1, 0.00085, 0.012};
  }

  private static void replay(
      String loop, Algorithm a, double[] betas, String prediction, String spacing) {
    BetaSchedule schedule = betas[0] == 0 ? BetaSchedule.LINEAR : BetaSchedule.SCALED_LINEAR;
    String p = "loop." + loop + ".";
    try (NDManager m = NDManager.newBaseManager()) {
      NoiseScheduler s =
          NoiseScheduler.create(
              config(a, 1000, schedule, betas[1], betas[2], prediction, true, spacing, 0));
      s.setTimesteps(10);
      long[] ts = s.timesteps();
      assertArrayEquals(REF.get(p + "timesteps").toLongs(), ts, loop);
      NDArray x = Reference.nd(m, REF.get(p + "x_T"));
      double worst = 0;
      for (int i = 0; i < ts.length; i++) {
        NDArray out = Reference.nd(m, REF.get(p + "model_output." + i));
        NDArray z = s.usesNoise(ts[i]) ? Reference.nd(m, REF.get(p + "noise." + i)) : null;
        x = s.step(out, ts[i], x, z).prevSample();
        worst = Math.max(worst, Reference.maxAbsDiff(x, REF.get(p + "sample." + i)));
      }
      System.out.printf("loop %-18s 10 steps, worst sample max-abs %.3g%n", loop, worst);
      assertTrue(worst <= 1e-4, loop + ": " + worst);
    }
  }

  @Test
  void trainingTargetsAndWeightedLossesEqualDiffusersFormulas() {
    float[] x0 = REF.get("target.x0").toFloats();
    float[] noise = REF.get("target.noise").toFloats();
    float[] out = REF.get("target.model_output").toFloats();
    long[] t = REF.get("target.t").toLongs();
    int per = x0.length / t.length;
    for (String name : new String[] {"linear", "scaled_linear"}) {
      boolean scaled = name.equals("scaled_linear");
      float[] abar =
          BetaSchedule.alphasCumprod(
              scaled
                  ? BetaSchedule.SCALED_LINEAR.betas(1000, 0.00085, 0.012)
                  : BetaSchedule.LINEAR.betas(1000, 1e-4, 0.02));
      float[] velocity = new float[x0.length];
      float[] snr = new float[t.length];
      for (int i = 0; i < t.length; i++) {
        float ab = abar[(int) t[i]];
        float a = (float) Math.sqrt(ab);
        float b = (float) Math.sqrt(1 - ab);
        snr[i] = PredictionType.SAMPLE.lossWeight(ab);
        assertEquals(1f, PredictionType.EPSILON.lossWeight(ab));
        assertEquals(1f, PredictionType.V_PREDICTION.lossWeight(ab));
        for (int j = i * per; j < (i + 1) * per; j++) {
          velocity[j] = PredictionType.V_PREDICTION.target(x0[j], noise[j], a, b);
          assertEquals(noise[j], PredictionType.EPSILON.target(x0[j], noise[j], a, b));
          assertEquals(x0[j], PredictionType.SAMPLE.target(x0[j], noise[j], a, b));
        }
      }
      float[] refV = REF.get("target.velocity." + name).toFloats();
      System.out.printf(
          "%-14s velocity: %d of %d differ in any bit (max-abs %.3g); snr max-rel %.3g%n",
          name,
          Reference.bitMismatches(refV, velocity),
          velocity.length,
          Reference.maxAbsDiff(refV, velocity),
          Reference.maxRelativeDiff(REF.get("target.snr." + name).toFloats(), snr));
      assertTrue(Reference.maxAbsDiff(refV, velocity) <= 1e-6, name + " velocity");
      assertTrue(
          Reference.maxRelativeDiff(REF.get("target.snr." + name).toFloats(), snr) <= 1e-6,
          name + " snr");
      for (PredictionType type : PredictionType.values()) {
        float[] target =
            type == PredictionType.EPSILON ? noise : type == PredictionType.SAMPLE ? x0 : velocity;
        double loss = 0;
        for (int i = 0; i < t.length; i++) {
          double sum = 0;
          for (int j = i * per; j < (i + 1) * per; j++) {
            sum += (double) (out[j] - target[j]) * (out[j] - target[j]);
          }
          loss += type.lossWeight(abar[(int) t[i]]) * sum / per;
        }
        loss /= t.length;
        double expected = REF.get("target.loss." + name + "." + type).toFloats()[0];
        System.out.printf("%-14s loss %-12s %.7g, diffusers %.7g%n", name, type, loss, expected);
        assertEquals(expected, loss, 1e-5 * Math.abs(expected), name + " " + type);
      }
    }
  }

  @Test
  void namesAreDiffusersAndUnknownOnesAreRefused() {
    for (PredictionType p : PredictionType.values()) {
      assertEquals(p, PredictionType.parse(p.diffusersName()));
    }
    var e =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class, () -> PredictionType.parse("flow_prediction"));
    assertTrue(e.getMessage().contains("\"flow_prediction\" is not supported"), e.getMessage());
  }
}
