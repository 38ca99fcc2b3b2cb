/**
 * The noise schedules and the forward/reverse diffusion maths, matching Hugging Face diffusers'
 * {@code DDPMScheduler}, {@code DDIMScheduler} and {@code DPMSolverMultistepScheduler} number for
 * number.
 *
 * <ul>
 *   <li>{@link io.sparkddpm.diffusion.BetaSchedule}: the betas and their cumulative product ᾱ,
 *       reproducing torch's float32 values bit for bit.
 *   <li>{@link io.sparkddpm.diffusion.SchedulerConfig}: diffusers' {@code scheduler_config.json}.
 *   <li>{@link io.sparkddpm.diffusion.NoiseScheduler}: {@code setTimesteps}, {@code addNoise}
 *       (training's forward process) and {@code step} (one reverse step), implemented by {@link
 *       io.sparkddpm.diffusion.DdpmScheduler} (Ho et al. 2020), {@link
 *       io.sparkddpm.diffusion.DdimScheduler} (Song et al. 2021) and {@link
 *       io.sparkddpm.diffusion.DpmSolverMultistepScheduler} (Lu et al. 2022, DPM-Solver++(2M)).
 *   <li>{@link io.sparkddpm.diffusion.TimestepSpacing}: diffusers' "leading", "trailing" and
 *       "linspace" inference timesteps.
 *   <li>{@link io.sparkddpm.diffusion.SeededNoise}: reproducible Gaussian noise and seed
 *       derivation, so that a retried Spark task or a different partitioning draws the same
 *       numbers.
 * </ul>
 *
 * <p>Scalar coefficients are computed in float32 in diffusers' operation order, because diffusers
 * computes them on 0-d float32 tensors; at t = 1 the cancellation in {@code 1 - ᾱ_t / ᾱ_prev} makes
 * a double evaluation differ from diffusers by 1e-4 relative.
 */
package io.sparkddpm.diffusion;
