package io.sparkddpm.diffusion;

import io.sparkddpm.base.DiffusersName;

/**
 * How the per-step noise variances β_0..β_{T-1} are laid out, by diffusers' {@code beta_schedule}
 * name. Every schedule returns float32 values equal to diffusers' {@code scheduler.betas}.
 */
public enum BetaSchedule implements DiffusersName {
  /** Evenly spaced from {@code beta_start} to {@code beta_end} (Ho et al. 2020, section 4). */
  LINEAR("linear"),
  /**
   * Evenly spaced square roots from sqrt(beta_start) to sqrt(beta_end), squared (Stable Diffusion's
   * schedule; diffusers' {@code linspace(beta_start**0.5, beta_end**0.5, T) ** 2}).
   */
  SCALED_LINEAR("scaled_linear"),
  /**
   * The cosine schedule of Nichol and Dhariwal 2021 (eq. 17), each β capped at 0.999; {@code
   * beta_start} and {@code beta_end} are ignored, as in diffusers.
   */
  SQUAREDCOS_CAP_V2("squaredcos_cap_v2");

  /** Largest β of the cosine schedule: keeps the last steps from being pure noise (β = 1). */
  private static final double MAX_COSINE_BETA = 0.999;

  private final String diffusersName;

  BetaSchedule(String diffusersName) {
    this.diffusersName = diffusersName;
  }

  @Override
  public String diffusersName() {
    return diffusersName;
  }

  /** The {@link #diffusersName()}: what {@code --beta-schedule} is spelled as. */
  @Override
  public String toString() {
    return diffusersName;
  }

  /** The schedule called {@code name} in diffusers, or an error listing the supported ones. */
  public static BetaSchedule parse(String name) {
    return DiffusersName.parse(BetaSchedule.class, "beta_schedule", name);
  }

  /**
   * The {@code T} betas in float32.
   *
   * @param numTrainTimesteps T, at least 2
   * @param betaStart first β of the linear and scaled-linear schedules
   * @param betaEnd last β of the linear and scaled-linear schedules
   */
  public float[] betas(int numTrainTimesteps, double betaStart, double betaEnd) {
    if (numTrainTimesteps < 2) {
      throw new IllegalArgumentException(
          "num_train_timesteps must be at least 2, got " + numTrainTimesteps);
    }
    return switch (this) {
      case LINEAR -> linspace((float) betaStart, (float) betaEnd, numTrainTimesteps);
      case SCALED_LINEAR ->
          squared(
              linspace(
                  (float) Math.sqrt(betaStart), (float) Math.sqrt(betaEnd), numTrainTimesteps));
      case SQUAREDCOS_CAP_V2 -> cosine(numTrainTimesteps);
    };
  }

  /**
   * {@code torch.linspace(start, end, n, dtype=float32)} as its AVX2/AVX512 kernel computes it, bit
   * for bit: a float32 step, then one fused multiply-add per element, counting up from {@code
   * start} in the first half and down from {@code end} in the second, so both ends are exact.
   */
  static float[] linspace(float start, float end, int n) {
    float step = (end - start) / (float) (n - 1);
    int half = n / 2;
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] =
          i < half ? Math.fma(step, (float) i, start) : Math.fma(-step, (float) (n - 1 - i), end);
    }
    return out;
  }

  /** Each value times itself, rounded once to float32 as torch's {@code ** 2}. */
  private static float[] squared(float[] x) {
    for (int i = 0; i < x.length; i++) {
      x[i] = x[i] * x[i];
    }
    return x;
  }

  /**
   * diffusers' {@code betas_for_alpha_bar}: {@code β_i = min(1 − ᾱ((i+1)/T) / ᾱ(i/T), 0.999)} with
   * {@code ᾱ(s) = cos((s + 0.008) / 1.008 · π/2)²}, in double (Python floats), then float32.
   */
  private static float[] cosine(int n) {
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      double t1 = (double) i / n;
      double t2 = (double) (i + 1) / n;
      out[i] = (float) Math.min(1 - cosineAlphaBar(t2) / cosineAlphaBar(t1), MAX_COSINE_BETA);
    }
    return out;
  }

  private static double cosineAlphaBar(double s) {
    double c = Math.cos((s + 0.008) / 1.008 * Math.PI / 2);
    return c * c;
  }

  /**
   * ᾱ_t = Π_{s≤t} (1 − β_s) as diffusers gets it from {@code torch.cumprod(1 - betas)}: each factor
   * {@code 1 − β} is rounded to float32, the running product is kept in double (torch's CPU cumprod
   * accumulates in double) and each output is rounded to float32. A running float32 product would
   * be up to 6e-7 relative off.
   */
  public static float[] alphasCumprod(float[] betas) {
    float[] out = new float[betas.length];
    double product = 1.0;
    for (int i = 0; i < betas.length; i++) {
      float alpha = 1f - betas[i];
      product *= alpha;
      out[i] = (float) product;
    }
    return out;
  }
}
