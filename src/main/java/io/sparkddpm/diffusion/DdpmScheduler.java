package io.sparkddpm.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import java.util.Arrays;

/**
 * Ancestral sampling of Ho et al. 2020 ("Denoising Diffusion Probabilistic Models"), as diffusers'
 * {@code DDPMScheduler}: same timesteps, same clipping, same variance, float32 coefficients in the
 * same operation order. With fewer inference steps than T, a step from t to its predecessor t' uses
 * the effective β = 1 − ᾱ_t / ᾱ_t', not β_t.
 */
public final class DdpmScheduler extends AbstractNoiseScheduler {

  /** Marks a timestep that is not in the inference schedule. */
  private static final int NOT_SCHEDULED = Integer.MIN_VALUE;

  /** Predecessor of each timestep in the inference schedule; null before setTimesteps. */
  private int[] previousOf;

  /** A DDPM scheduler; {@code config.algorithm()} is not consulted. */
  public DdpmScheduler(SchedulerConfig config) {
    super(config);
  }

  @Override
  void onTimestepsSet() {
    // A lookup table so step() finds t's predecessor without searching or allocating.
    previousOf = new int[numTrain];
    Arrays.fill(previousOf, NOT_SCHEDULED);
    for (int i = 0; i < timesteps.length; i++) {
      previousOf[(int) timesteps[i]] = i + 1 < timesteps.length ? (int) timesteps[i + 1] : -1;
    }
  }

  /**
   * The timestep after {@code t} in the reverse process: the next entry of {@link #timesteps()} (−1
   * after the last) once {@link #setTimesteps} was called, else {@code t − 1}.
   *
   * @throws IllegalArgumentException if {@code t} is not one of the scheduled timesteps
   */
  public long previousTimestep(long t) {
    int ti = index(t);
    if (previousOf == null) {
      return t - 1;
    }
    int prev = previousOf[ti];
    if (prev == NOT_SCHEDULED) {
      throw new IllegalArgumentException(
          "timestep "
              + t
              + " is not in the schedule of "
              + numInferenceSteps
              + " steps ("
              + timesteps[0]
              + ", "
              + (timesteps.length > 1 ? timesteps[1] + ", ..., " : "")
              + timesteps[timesteps.length - 1]
              + ")");
    }
    return prev;
  }

  @Override
  public boolean usesNoise(long t) {
    return t > 0;
  }

  /**
   * The variance σ²_t of the step from {@code t}, before its square root, as diffusers' {@code
   * _get_variance}: β̃ = (1 − ᾱ_prev) / (1 − ᾱ_t) · β (Ho et al. 2020, eq. 7) clamped at 1e-20 for
   * "fixed_small"; β for "fixed_large".
   */
  public float variance(long t) {
    int ti = index(t);
    long prev = previousTimestep(t);
    float alphaProdT = alphasCumprod[ti];
    float alphaProdPrev = prev >= 0 ? alphasCumprod[(int) prev] : 1f;
    // Effective β of this (possibly strided) step, in float32 as diffusers: cancels badly at t = 1.
    float currentBeta = 1f - alphaProdT / alphaProdPrev;
    if ("fixed_large".equals(config.varianceType())) {
      return currentBeta;
    }
    float posterior = (1f - alphaProdPrev) / (1f - alphaProdT) * currentBeta;
    return Math.max(posterior, 1e-20f);
  }

  @Override
  public StepResult step(NDArray modelOutput, long t, NDArray sample, NDArray varianceNoise) {
    checkStepInputs(modelOutput, sample, varianceNoise);
    if (usesNoise(t) && varianceNoise == null) {
      throw new IllegalArgumentException("DDPM step at t = " + t + " > 0 needs varianceNoise");
    }
    try (NDScope scope = new NDScope()) {
      // 1. previous timestep: the next scheduled one, or t - 1 without a schedule
      int ti = index(t);
      long prev = previousTimestep(t);

      // 2. ᾱ_t, ᾱ_prev (1 before the first step), and this step's α = ᾱ_t / ᾱ_prev and β = 1 − α
      float alphaProdT = alphasCumprod[ti];
      float alphaProdPrev = prev >= 0 ? alphasCumprod[(int) prev] : 1f;
      float betaProdT = 1f - alphaProdT;
      float betaProdPrev = 1f - alphaProdPrev;
      float currentAlpha = alphaProdT / alphaProdPrev;
      float currentBeta = 1f - currentAlpha;

      // 3. predicted x_0 from the model's output (from ε: eq. 15), clipped
      NDArray x0 = predictOriginal(modelOutput, ti, sample); // (B, C, H, W)

      // 4. posterior mean μ̃_t(x_t, x_0), eq. 7
      float x0Coeff = sqrt(alphaProdPrev) * currentBeta / betaProdT;
      float sampleCoeff = sqrt(currentAlpha) * betaProdPrev / betaProdT;
      NDArray prevSample = x0.mul(x0Coeff).add(sample.mul(sampleCoeff));

      // 5. add σ_t·z, σ²_t the posterior variance β̃_t of eq. 7; no noise on the last step (t = 0)
      if (usesNoise(t)) {
        prevSample = prevSample.add(varianceNoise.mul(sqrt(variance(t))));
      }

      // 6. x_prev and the clipped x_0
      NDScope.unregister(prevSample, x0);
      return new StepResult(prevSample, x0);
    }
  }
}
