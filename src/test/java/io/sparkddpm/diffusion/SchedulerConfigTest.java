package io.sparkddpm.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkddpm.diffusion.SchedulerConfig.Algorithm;
import org.junit.jupiter.api.Test;

class SchedulerConfigTest {

  /** A config as diffusers' DDPMScheduler.save_pretrained writes it (keys sorted, indent 2). */
  private static final String DIFFUSERS_DDPM =
      """
      {
        "_class_name": "DDPMScheduler",
        "_diffusers_version": "0.40.0.dev0",
        "beta_end": 0.02,
        "beta_schedule": "linear",
        "beta_start": 0.0001,
        "clip_sample": true,
        "clip_sample_range": 1.0,
        "dynamic_thresholding_ratio": 0.995,
        "num_train_timesteps": 1000,
        "prediction_type": "epsilon",
        "rescale_betas_zero_snr": false,
        "sample_max_value": 1.0,
        "steps_offset": 0,
        "thresholding": false,
        "timestep_spacing": "leading",
        "trained_betas": null,
        "variance_type": "fixed_small"
      }
      """;

  @Test
  void defaultsAreTheTutorialRecipe() {
    SchedulerConfig c = SchedulerConfig.ddpm();
    assertEquals(1000, c.numTrainTimesteps());
    assertEquals(1e-4, c.betaStart());
    assertEquals(0.02, c.betaEnd());
    assertEquals(BetaSchedule.LINEAR, c.betaSchedule());
    assertTrue(c.clipSample());
    assertEquals("fixed_small", c.varianceType());
    assertEquals(0.0, c.eta());
  }

  @Test
  void readsWhatDiffusersWritesAndWritesItBackByteForByte() {
    SchedulerConfig c = SchedulerConfig.fromJson(DIFFUSERS_DDPM, "scheduler_config.json");
    assertEquals(SchedulerConfig.ddpm(), c);
    assertEquals(DIFFUSERS_DDPM, c.toJson());
  }

  @Test
  void ddimJsonRoundTripsWithItsOwnKeysAndWithoutEta() {
    SchedulerConfig ddim =
        new SchedulerConfig(
            Algorithm.DDIM,
            1000,
            1e-4,
            0.02,
            BetaSchedule.SQUAREDCOS_CAP_V2,
            false,
            2.0,
            "epsilon",
            "fixed_small",
            "leading",
            1,
            false,
            0.3);
    String json = ddim.toJson();
    assertTrue(json.contains("\"_class_name\": \"DDIMScheduler\""), json);
    assertTrue(json.contains("\"set_alpha_to_one\": false"), json);
    assertTrue(json.contains("\"clip_sample_range\": 2.0"), json);
    assertFalse(json.contains("variance_type"), json);
    assertFalse(json.contains("\"eta\""), json);
    assertEquals(ddim.withEta(0), SchedulerConfig.fromJson(json, "ddim.json"));
  }

  /** DPMSolverMultistepScheduler(T, betas).save_config() of diffusers 0.42.1, version aside. */
  private static final String DIFFUSERS_DPM_SOLVER =
      """
      {
        "_class_name": "DPMSolverMultistepScheduler",
        "_diffusers_version": "0.40.0.dev0",
        "algorithm_type": "dpmsolver++",
        "beta_end": 0.02,
        "beta_schedule": "linear",
        "beta_start": 0.0001,
        "dynamic_thresholding_ratio": 0.995,
        "euler_at_final": false,
        "final_sigmas_type": "zero",
        "flow_shift": 1.0,
        "lambda_min_clipped": -Infinity,
        "lower_order_final": true,
        "num_train_timesteps": 1000,
        "prediction_type": "epsilon",
        "rescale_betas_zero_snr": false,
        "sample_max_value": 1.0,
        "solver_order": 2,
        "solver_type": "midpoint",
        "steps_offset": 0,
        "thresholding": false,
        "time_shift_type": "exponential",
        "timestep_spacing": "linspace",
        "trained_betas": null,
        "use_beta_sigmas": false,
        "use_dynamic_shifting": false,
        "use_exponential_sigmas": false,
        "use_flow_sigmas": false,
        "use_karras_sigmas": false,
        "use_lu_lambdas": false,
        "variance_type": null
      }
      """;

  @Test
  void dpmSolverConfigOfDiffusersReadsAndWritesBackByteForByte() {
    SchedulerConfig c = SchedulerConfig.fromJson(DIFFUSERS_DPM_SOLVER, "dpm.json");
    assertEquals(
        SchedulerConfig.ddpm()
            .withAlgorithm(Algorithm.DPMSOLVER_PLUSPLUS)
            .withTimestepSpacing("linspace"),
        c);
    assertEquals(DIFFUSERS_DPM_SOLVER, c.toJson());
    assertInstanceOf(DpmSolverMultistepScheduler.class, NoiseScheduler.create(c));
    // its class default spacing is linspace; a DDPM config switched to it keeps its own spacing
    SchedulerConfig bare =
        SchedulerConfig.fromJson("{\"_class_name\": \"DPMSolverMultistepScheduler\"}", "d.json");
    assertEquals("linspace", bare.timestepSpacing());
    assertEquals(
        "leading",
        SchedulerConfig.ddpm().withAlgorithm(Algorithm.DPMSOLVER_PLUSPLUS).timestepSpacing());
  }

  @Test
  void timestepSpacingRoundTripsAndTheCheckpointDefaultStaysDiffusers() {
    for (String spacing : new String[] {"leading", "trailing", "linspace"}) {
      SchedulerConfig c = SchedulerConfig.ddpm().withTimestepSpacing(spacing);
      assertTrue(c.toJson().contains("\"timestep_spacing\": \"" + spacing + "\""));
      assertEquals(c, SchedulerConfig.fromJson(c.toJson(), "s.json"));
    }
    // what TrainJob writes to scheduler/scheduler_config.json: diffusers' DDPMScheduler default
    assertEquals("leading", SchedulerConfig.ddpm().timestepSpacing());
  }

  @Test
  void missingKeysTakeDiffusersDefaultsAndTheFactoryPicksTheClass() {
    SchedulerConfig c =
        SchedulerConfig.fromJson("{\"_class_name\": \"DDIMScheduler\"}", "min.json");
    assertEquals(SchedulerConfig.ddpm().withAlgorithm(Algorithm.DDIM), c);
    assertInstanceOf(DdimScheduler.class, NoiseScheduler.create(c));
    assertInstanceOf(DdpmScheduler.class, NoiseScheduler.create(SchedulerConfig.ddpm()));
  }

  @Test
  void unknownKeysAndUnimplementedFeaturesAreRefused() {
    assertRefused("{\"karras_sigmas\": true}", "f.json: unknown key \"karras_sigmas\"");
    assertRefused("{\"thresholding\": true}", "thresholding = true is not supported");
    assertRefused("{\"trained_betas\": [0.1, 0.2]}", "trained_betas = [0.1,0.2] is not supported");
    assertRefused("{\"rescale_betas_zero_snr\": true}", "rescale_betas_zero_snr");
    assertRefused("{\"_class_name\": \"PNDMScheduler\"}", "_class_name \"PNDMScheduler\"");
    assertRefused("{\"beta_schedule\": \"sigmoid\"}", "beta_schedule \"sigmoid\"");
    assertRefused(
        "{\"prediction_type\": \"flow_prediction\"}", "prediction_type \"flow_prediction\"");
    assertRefused("{\"variance_type\": \"learned\"}", "variance_type \"learned\"");
    assertRefused("{\"timestep_spacing\": \"uniform\"}", "timestep_spacing \"uniform\"");
    assertRefused("{\"solver_order\": 3}", "solver_order = 3 is not supported; only 2");
    assertRefused("{\"algorithm_type\": \"sde-dpmsolver++\"}", "algorithm_type");
    assertRefused("{\"final_sigmas_type\": \"sigma_min\"}", "final_sigmas_type");
    assertRefused("{\"use_karras_sigmas\": true}", "use_karras_sigmas");
    assertRefused("{\"lambda_min_clipped\": -5.1}", "lambda_min_clipped");
    assertRefused("{\"variance_type\": null}", "variance_type must be a string");
    assertRefused("{\"num_train_timesteps\": 10.5}", "num_train_timesteps must be an integer");
    assertRefused("{\"clip_sample\": \"yes\"}", "clip_sample must be true/false");
    assertRefused("[1, 2]", "f.json");
  }

  @Test
  void invalidValuesAreRefusedNamingTheKey() {
    assertInvalid(() -> config(1, 1e-4, 0.02, 1.0, 0, 0), "num_train_timesteps must be in [2, ");
    assertInvalid(
        () -> config(2_000_000_000, 1e-4, 0.02, 1.0, 0, 0), "num_train_timesteps must be in [2, ");
    assertInvalid(() -> config(1000, -1e-4, 0.02, 1.0, 0, 0), "0 < beta_start <= beta_end < 1");
    assertInvalid(() -> config(1000, 0.03, 0.02, 1.0, 0, 0), "0 < beta_start <= beta_end < 1");
    assertInvalid(() -> config(1000, 1e-4, 0.02, 0, 0, 0), "clip_sample_range must be positive");
    assertInvalid(() -> config(1000, 1e-4, 0.02, 1.0, 1000, 0), "steps_offset must be in");
    assertInvalid(() -> config(1000, 1e-4, 0.02, 1.0, 0, -0.1), "eta must be in [0, 1]");
  }

  private static SchedulerConfig config(
      int t, double start, double end, double range, int offset, double eta) {
    return new SchedulerConfig(
        Algorithm.DDPM,
        t,
        start,
        end,
        BetaSchedule.LINEAR,
        true,
        range,
        "epsilon",
        "fixed_small",
        "leading",
        offset,
        true,
        eta);
  }

  private static void assertRefused(String json, String fragment) {
    assertInvalid(() -> SchedulerConfig.fromJson(json, "f.json"), fragment);
  }

  private static void assertInvalid(
      org.junit.jupiter.api.function.Executable call, String fragment) {
    var e = assertThrows(IllegalArgumentException.class, call);
    assertTrue(
        e.getMessage().contains(fragment), "\"" + e.getMessage() + "\" lacks \"" + fragment + "\"");
  }
}
