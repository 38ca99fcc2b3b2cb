package io.sparkddpm.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * A diffusion noise scheduler, as diffusers' {@code SchedulerMixin}: the forward process used in
 * training ({@link #addNoise}) and one step of the reverse process used in sampling ({@link
 * #step}).
 *
 * <p>Sampling loop:
 *
 * <pre>{@code
 * scheduler.setTimesteps(50);
 * for (long t : scheduler.timesteps()) {
 *   NDArray eps = unet(sample, t);                          // (B, C, H, W)
 *   NDArray z = scheduler.usesNoise(t) ? noiseFor(t) : null; // (B, C, H, W) or null
 *   sample = scheduler.step(eps, t, sample, z).prevSample();
 * }
 * }</pre>
 *
 * <p>Arrays are float32 NCHW. Results are attached to the manager of {@code sample} (of {@code x0}
 * for {@code addNoise}); intermediates are closed before returning. An instance holds the current
 * inference schedule, so it is not safe to share between threads.
 */
public interface NoiseScheduler {

  /** The output of one reverse step. */
  record StepResult(NDArray prevSample, NDArray predOriginalSample) {}

  /** A scheduler for {@code config.algorithm()}. */
  static NoiseScheduler create(SchedulerConfig config) {
    return switch (config.algorithm()) {
      case DDPM -> new DdpmScheduler(config);
      case DDIM -> new DdimScheduler(config);
      case DPMSOLVER_PLUSPLUS -> new DpmSolverMultistepScheduler(config);
    };
  }

  /** The settings this scheduler was built from. */
  SchedulerConfig config();

  /**
   * Chooses {@code n} inference timesteps, descending, as the config's {@code timestep_spacing}
   * says (see {@link TimestepSpacing}); starts a new sampling run.
   *
   * @throws IllegalArgumentException if {@code n < 1} or {@code n > num_train_timesteps}
   */
  void setTimesteps(int n);

  /** The timesteps {@link #step} visits, in order; T−1..0 before {@link #setTimesteps}. */
  long[] timesteps();

  /** ᾱ_t for t = 0..T−1, float32 as diffusers' {@code alphas_cumprod}; a copy. */
  float[] alphasCumprod();

  /** β_t for t = 0..T−1, float32 as diffusers' {@code betas}; a copy. */
  float[] betas();

  /**
   * The forward process q(x_t | x_0) (Ho et al. 2020, eq. 4): {@code sqrt(ᾱ_t)·x0 + sqrt(1 −
   * ᾱ_t)·noise}, with one timestep per batch element.
   *
   * @param x0 clean samples (B, ...)
   * @param noise standard normal noise, same shape
   * @param t B timesteps in [0, T)
   */
  NDArray addNoise(NDArray x0, NDArray noise, long[] t);

  /** {@link #addNoise(NDArray, NDArray, long[])} with the timesteps as an integer array (B,). */
  default NDArray addNoise(NDArray x0, NDArray noise, NDArray t) {
    if (t.getDataType() == DataType.INT64) {
      return addNoise(x0, noise, t.toLongArray());
    }
    try (NDArray asLong = t.toType(DataType.INT64, true)) {
      return addNoise(x0, noise, asLong.toLongArray());
    }
  }

  /** Whether {@link #step} at timestep {@code t} adds noise, so the caller must supply it. */
  boolean usesNoise(long t);

  /**
   * One reverse step from x_t to x_{prev}.
   *
   * @param modelOutput the model's noise prediction ε_θ(x_t, t), (B, C, H, W)
   * @param t the current timestep, one of {@link #timesteps()}
   * @param sample x_t, same shape
   * @param varianceNoise standard normal noise, same shape, when {@link #usesNoise(long)}; may be
   *     null otherwise
   */
  StepResult step(NDArray modelOutput, long t, NDArray sample, NDArray varianceNoise);
}
