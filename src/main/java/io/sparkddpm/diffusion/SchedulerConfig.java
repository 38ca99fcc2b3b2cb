package io.sparkddpm.diffusion;

import static io.sparkddpm.base.ConfigJson.require;

import java.util.Set;

/**
 * A noise scheduler's settings, named and defaulted as diffusers' {@code DDPMScheduler}, {@code
 * DDIMScheduler} and {@code DPMSolverMultistepScheduler} arguments, validated on construction. Read
 * from and written to diffusers' {@code scheduler/scheduler_config.json}, so checkpoints move
 * between this project and diffusers.
 *
 * @param algorithm which scheduler ({@code _class_name} in the JSON)
 * @param numTrainTimesteps T, the length of the training diffusion process
 * @param betaStart first β of the linear and scaled-linear schedules
 * @param betaEnd last β of the linear and scaled-linear schedules
 * @param betaSchedule how the betas are laid out
 * @param clipSample whether the predicted x_0 is clamped to ±{@code clipSampleRange}
 * @param clipSampleRange the clamp bound
 * @param predictionType what the model predicts: {@code "epsilon"} (the noise), {@code
 *     "v_prediction"} or {@code "sample"} (see {@link PredictionType})
 * @param varianceType DDPM's reverse variance: {@code "fixed_small"} (β̃_t) or {@code
 *     "fixed_large"} (β_t); not used by DDIM
 * @param timestepSpacing how inference timesteps are spread: {@code "leading"}, {@code "trailing"}
 *     or {@code "linspace"} (see {@link TimestepSpacing})
 * @param stepsOffset added to every inference timestep
 * @param setAlphaToOne DDIM: whether ᾱ before the first step is 1 (else ᾱ_0)
 * @param eta DDIM's η (0 deterministic, 1 as DDPM's variance); not a diffusers config key (it is an
 *     argument of {@code step}), so it is not written to the JSON
 */
public record SchedulerConfig(
    Algorithm algorithm,
    int numTrainTimesteps,
    double betaStart,
    double betaEnd,
    BetaSchedule betaSchedule,
    boolean clipSample,
    double clipSampleRange,
    String predictionType,
    String varianceType,
    String timestepSpacing,
    int stepsOffset,
    boolean setAlphaToOne,
    double eta) {

  /** The scheduler algorithms, by diffusers' class name. */
  public enum Algorithm {
    /** Ancestral sampling of Ho et al. 2020. */
    DDPM("DDPMScheduler", "ddpm"),
    /** Implicit sampling of Song et al. 2021. */
    DDIM("DDIMScheduler", "ddim"),
    /** The second-order multistep solver DPM-Solver++(2M) of Lu et al. 2022. */
    DPMSOLVER_PLUSPLUS("DPMSolverMultistepScheduler", "dpmsolver++");

    private final String className;
    private final String shortName;

    Algorithm(String className, String shortName) {
      this.className = className;
      this.shortName = shortName;
    }

    /** diffusers' {@code _class_name}. */
    public String className() {
      return className;
    }

    /** The name on the command line and in the samples' {@code scheduler} column. */
    public String shortName() {
      return shortName;
    }

    /** The {@link #shortName()}: what {@code --scheduler} is spelled as. */
    @Override
    public String toString() {
      return shortName;
    }

    /** The algorithm called {@code name} ({@link #shortName()}, any case), or an error. */
    public static Algorithm ofShortName(String name) {
      for (Algorithm a : values()) {
        if (a.shortName.equalsIgnoreCase(name)) {
          return a;
        }
      }
      throw new IllegalArgumentException(
          "scheduler \"" + name + "\" is not supported; use ddpm, ddim or dpmsolver++");
    }

    static Algorithm ofClassName(String name) {
      for (Algorithm a : values()) {
        if (a.className.equals(name)) {
          return a;
        }
      }
      throw new IllegalArgumentException(
          "_class_name \""
              + name
              + "\" is not supported; use \"DDPMScheduler\", \"DDIMScheduler\" or"
              + " \"DPMSolverMultistepScheduler\"");
    }
  }

  private static final Set<String> VARIANCE_TYPES = Set.of("fixed_small", "fixed_large");

  private static final Set<String> SPACINGS = Set.of("leading", "trailing", "linspace");

  /**
   * Bound on T: the schedules are arrays of T doubles, so a hostile file asking for two billion
   * would exhaust the driver's memory; diffusers' models use 1000 (a few use 4000).
   */
  public static final int MAX_TRAIN_TIMESTEPS = 100_000;

  /** Validates every setting; messages name diffusers' key and what to change. */
  public SchedulerConfig {
    require(algorithm != null, "_class_name must be given");
    require(betaSchedule != null, "beta_schedule must be given");
    require(
        numTrainTimesteps >= 2 && numTrainTimesteps <= MAX_TRAIN_TIMESTEPS,
        "num_train_timesteps must be in [2, "
            + MAX_TRAIN_TIMESTEPS
            + "], got "
            + numTrainTimesteps);
    if (betaSchedule != BetaSchedule.SQUAREDCOS_CAP_V2) {
      require(
          betaStart > 0 && betaStart <= betaEnd && betaEnd < 1,
          betaSchedule.diffusersName()
              + " betas need 0 < beta_start <= beta_end < 1, got beta_start "
              + betaStart
              + ", beta_end "
              + betaEnd);
    }
    require(
        clipSampleRange > 0 && Double.isFinite(clipSampleRange),
        "clip_sample_range must be positive, got " + clipSampleRange);
    require(predictionType != null, "prediction_type must be given");
    PredictionType.parse(predictionType);
    require(
        VARIANCE_TYPES.contains(varianceType),
        "variance_type \""
            + varianceType
            + "\" is not supported; use \"fixed_small\" or \"fixed_large\"");
    require(
        SPACINGS.contains(timestepSpacing),
        "timestep_spacing \""
            + timestepSpacing
            + "\" is not supported; use \"leading\", \"trailing\" or \"linspace\"");
    require(
        stepsOffset >= 0 && stepsOffset < numTrainTimesteps,
        "steps_offset must be in [0, num_train_timesteps), got " + stepsOffset);
    require(eta >= 0 && eta <= 1, "eta must be in [0, 1], got " + eta);
  }

  /** The tutorial's scheduler: diffusers' defaults, T = 1000, linear betas 1e-4..0.02. */
  public static SchedulerConfig ddpm() {
    return new SchedulerConfig(
        Algorithm.DDPM,
        1000,
        1e-4,
        0.02,
        BetaSchedule.LINEAR,
        true,
        1.0,
        "epsilon",
        "fixed_small",
        "leading",
        0,
        true,
        0.0);
  }

  /**
   * The tutorial's DDPM scheduler with another training schedule: T, the betas and what the model
   * predicts, as a training run's options give them.
   */
  public static SchedulerConfig ddpm(
      int numTrainTimesteps,
      BetaSchedule betaSchedule,
      double betaStart,
      double betaEnd,
      PredictionType predictionType) {
    SchedulerConfig d = ddpm();
    return new SchedulerConfig(
        d.algorithm,
        numTrainTimesteps,
        betaStart,
        betaEnd,
        betaSchedule,
        d.clipSample,
        d.clipSampleRange,
        predictionType.diffusersName(),
        d.varianceType,
        d.timestepSpacing,
        d.stepsOffset,
        d.setAlphaToOne,
        d.eta);
  }

  /** This configuration with another algorithm, e.g. to sample a DDPM-trained model with DDIM. */
  public SchedulerConfig withAlgorithm(Algorithm a) {
    return new SchedulerConfig(
        a,
        numTrainTimesteps,
        betaStart,
        betaEnd,
        betaSchedule,
        clipSample,
        clipSampleRange,
        predictionType,
        varianceType,
        timestepSpacing,
        stepsOffset,
        setAlphaToOne,
        eta);
  }

  /** This configuration with another {@code timestep_spacing} (see {@link TimestepSpacing}). */
  public SchedulerConfig withTimestepSpacing(String spacing) {
    return new SchedulerConfig(
        algorithm,
        numTrainTimesteps,
        betaStart,
        betaEnd,
        betaSchedule,
        clipSample,
        clipSampleRange,
        predictionType,
        varianceType,
        spacing,
        stepsOffset,
        setAlphaToOne,
        eta);
  }

  /** This configuration with DDIM's η. */
  public SchedulerConfig withEta(double newEta) {
    return new SchedulerConfig(
        algorithm,
        numTrainTimesteps,
        betaStart,
        betaEnd,
        betaSchedule,
        clipSample,
        clipSampleRange,
        predictionType,
        varianceType,
        timestepSpacing,
        stepsOffset,
        setAlphaToOne,
        newEta);
  }

  /**
   * Parses diffusers' {@code scheduler_config.json}. Keys missing take diffusers' defaults; keys
   * diffusers has for features not implemented here are accepted only at their defaults; any other
   * key is an error. {@code eta} is not a diffusers key and comes out as 0.
   *
   * @param source names the file in error messages
   */
  public static SchedulerConfig fromJson(String json, String source) {
    return SchedulerConfigJson.read(json, source);
  }

  /**
   * diffusers' {@code scheduler_config.json} for this algorithm: keys sorted as diffusers writes
   * them, every argument of the class present (DDPM has {@code variance_type}, DDIM has {@code
   * set_alpha_to_one}), floats written as Python does ({@code 0.0001}, not {@code 1.0E-4}).
   */
  public String toJson() {
    return SchedulerConfigJson.write(this);
  }
}
