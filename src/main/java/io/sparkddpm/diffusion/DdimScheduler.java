package io.sparkddpm.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;

/**
 * Implicit sampling of Song et al. 2021 ("Denoising Diffusion Implicit Models"), as diffusers'
 * {@code DDIMScheduler}: the same model as DDPM, sampled along a shorter, optionally deterministic
 * path. η = 0 (the default) makes sampling deterministic given x_T; η = 1 gives DDPM's posterior
 * variance on the strided schedule.
 */
public final class DdimScheduler extends AbstractNoiseScheduler {

  /** ᾱ before the first timestep: 1 with set_alpha_to_one, else ᾱ_0 (diffusers' convention). */
  private final float finalAlphaCumprod;

  /** A DDIM scheduler with η from {@code config.eta()}; {@code config.algorithm()} is ignored. */
  public DdimScheduler(SchedulerConfig config) {
    super(config);
    this.finalAlphaCumprod = config.setAlphaToOne() ? 1f : alphasCumprod[0];
  }

  /** ᾱ used when the previous timestep is negative (the last step). */
  public float finalAlphaCumprod() {
    return finalAlphaCumprod;
  }

  /**
   * {@code t − T // n}: plain arithmetic as in diffusers, negative on the last step.
   *
   * @throws IllegalStateException before {@link #setTimesteps}, when n is unknown
   */
  public long previousTimestep(long t) {
    if (numInferenceSteps == 0) {
      throw new IllegalStateException(
          "call setTimesteps(n) before step: DDIM's previous timestep is t - T / n");
    }
    return t - numTrain / numInferenceSteps;
  }

  @Override
  public boolean usesNoise(long t) {
    return config.eta() > 0;
  }

  @Override
  public StepResult step(NDArray modelOutput, long t, NDArray sample, NDArray varianceNoise) {
    return step(modelOutput, t, sample, config.eta(), varianceNoise);
  }

  /**
   * One DDIM step with an explicit η.
   *
   * @param eta η in [0, 1]: the share of the DDPM posterior standard deviation that is random
   * @param varianceNoise standard normal noise when {@code eta > 0} (ignored when η = 0)
   */
  public StepResult step(
      NDArray modelOutput, long t, NDArray sample, double eta, NDArray varianceNoise) {
    if (!(eta >= 0 && eta <= 1)) {
      throw new IllegalArgumentException("eta must be in [0, 1], got " + eta);
    }
    checkStepInputs(modelOutput, sample, eta > 0 ? varianceNoise : null);
    if (eta > 0 && varianceNoise == null) {
      throw new IllegalArgumentException(
          "DDIM step with eta = " + eta + " > 0 needs varianceNoise");
    }
    try (NDScope scope = new NDScope()) {
      // 1. previous timestep: t − T // n, no lookup
      int ti = index(t);
      long prev = previousTimestep(t);

      // 2. ᾱ_t and ᾱ_prev (final_alpha_cumprod past the last step)
      float alphaProdT = alphasCumprod[ti];
      float alphaProdPrev = prev >= 0 ? alphasCumprod[index(prev)] : finalAlphaCumprod;
      float betaProdT = 1f - alphaProdT;
      float betaProdPrev = 1f - alphaProdPrev;

      // 3. predicted x_0 of eq. 12, clipped, and ε from the model's output (not re-derived from
      //    the clipped x_0: diffusers' use_clipped_model_output is off)
      NDArray x0 = predictOriginal(modelOutput, ti, sample); // (B, C, H, W)
      NDArray eps =
          predictionType.epsilon(
              modelOutput, sample, sqrtAlphasCumprod[ti], sqrtOneMinusAlphasCumprod[ti]);

      // 4. σ_t(η) of eq. 16: η · sqrt((1 − ᾱ_prev)/(1 − ᾱ_t) · (1 − ᾱ_t/ᾱ_prev))
      float variance = betaProdPrev / betaProdT * (1f - alphaProdT / alphaProdPrev);
      float std = (float) eta * sqrt(variance);

      // 5. "direction pointing to x_t" of eq. 12, from the unclipped ε. σ² ≤ 1 − ᾱ_prev for
      //    η ≤ 1; the max only stops float rounding from making the root NaN
      float directionCoeff = sqrt(Math.max(betaProdPrev - std * std, 0f));
      NDArray direction = eps.mul(directionCoeff);

      // 6. x_prev = sqrt(ᾱ_prev)·x_0 + direction (+ σ_t·z when η > 0), eq. 12
      NDArray prevSample = x0.mul(sqrt(alphaProdPrev)).add(direction);
      if (eta > 0) {
        prevSample = prevSample.add(varianceNoise.mul(std));
      }
      NDScope.unregister(prevSample, x0);
      return new StepResult(prevSample, x0);
    }
  }
}
