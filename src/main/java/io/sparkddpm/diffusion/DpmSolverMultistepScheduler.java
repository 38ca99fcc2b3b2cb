package io.sparkddpm.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;

/**
 * DPM-Solver++(2M) of Lu et al. 2022 ("DPM-Solver++: Fast Solver for Guided Sampling of Diffusion
 * Probabilistic Models", algorithm 2), as diffusers' {@code DPMSolverMultistepScheduler} with its
 * defaults: {@code algorithm_type="dpmsolver++"}, {@code solver_order=2}, {@code
 * solver_type="midpoint"}, {@code lower_order_final=True}, {@code final_sigmas_type="zero"} and no
 * thresholding, for any {@link PredictionType}. It integrates the probability-flow ODE in log-SNR
 * time λ with the model's data prediction x_θ, reusing the previous step's x_θ for a second-order
 * update, so each step costs one model call and no noise.
 *
 * <p>Noise levels are σ_t = sqrt((1 − ᾱ_t) / ᾱ_t) (the variance-exploding parametrization diffusers
 * uses), from which α_t = 1 / sqrt(σ_t² + 1), σ'_t = σ_t·α_t and λ_t = log α_t − log σ'_t. The n
 * inference timesteps end above 0 and a last σ = 0 follows, so the final step returns x_θ.
 *
 * <p>The scheduler is stateful: after {@link #setTimesteps} the steps must visit {@link
 * #timesteps()} in order, once each (a new {@code setTimesteps} starts over).
 */
public final class DpmSolverMultistepScheduler extends AbstractNoiseScheduler {

  /** σ_t = sqrt((1 − ᾱ_t) / ᾱ_t) for t = 0..T−1, float32 as diffusers' {@code sigmas}. */
  private final float[] trainSigmas;

  /** σ of each inference timestep, then the final 0; length n + 1. */
  private float[] sigmas;

  /** Index of the next step in {@link #timesteps}. */
  private int stepIndex;

  /**
   * x_θ of the previous step, the second point of the multistep update; detached (owned here, not
   * by a caller's manager, since the caller closes each step's arrays), closed when replaced.
   */
  private NDArray previousX0;

  /** A DPM-Solver++(2M) scheduler; clip_sample, variance_type and η are not used. */
  public DpmSolverMultistepScheduler(SchedulerConfig config) {
    super(config);
    trainSigmas = new float[numTrain];
    for (int t = 0; t < numTrain; t++) {
      trainSigmas[t] = sqrt((1f - alphasCumprod[t]) / alphasCumprod[t]);
    }
  }

  @Override
  long[] inferenceTimesteps(int n) {
    long[] ts = spacing.solverTimesteps(numTrain, n, config.stepsOffset());
    for (int i = 1; i < ts.length; i++) {
      if (ts[i] >= ts[i - 1]) {
        // diffusers lets this through; a repeated timestep gives h = 0 and NaN samples
        throw new IllegalArgumentException(
            n
                + " DPM-Solver++ steps with timestep_spacing \""
                + spacing.diffusersName()
                + "\" repeat timestep "
                + ts[i]
                + "; use fewer steps");
      }
    }
    return ts;
  }

  @Override
  void onTimestepsSet() {
    sigmas = new float[timesteps.length + 1];
    for (int i = 0; i < timesteps.length; i++) {
      sigmas[i] = trainSigmas[(int) timesteps[i]];
    }
    sigmas[timesteps.length] = 0f; // final_sigmas_type "zero": the last step lands on x_0
    stepIndex = 0;
    forgetHistory();
  }

  /** The σ of each inference step followed by the final 0 (n + 1 values); a copy. */
  public float[] sigmas() {
    if (sigmas == null) {
      throw new IllegalStateException("call setTimesteps(n) first");
    }
    return sigmas.clone();
  }

  /** σ_t = sqrt((1 − ᾱ_t) / ᾱ_t) for every training timestep; a copy. */
  public float[] trainSigmas() {
    return trainSigmas.clone();
  }

  @Override
  public boolean usesNoise(long t) {
    return false;
  }

  /**
   * One DPM-Solver++(2M) step from {@code t}, the next of {@link #timesteps()}.
   *
   * @param varianceNoise ignored: the solver is deterministic
   * @return x at the next timestep and the data prediction x_θ(x_t, t) (not clipped)
   */
  @Override
  public StepResult step(NDArray modelOutput, long t, NDArray sample, NDArray varianceNoise) {
    checkStepInputs(modelOutput, sample, null);
    int i = stepIndex;
    if (numInferenceSteps == 0 || i >= timesteps.length || timesteps[i] != t) {
      throw new IllegalArgumentException(
          numInferenceSteps == 0
              ? "call setTimesteps(n) before step"
              : "DPM-Solver++ steps must follow timesteps() in order: expected "
                  + (i < timesteps.length ? "t = " + timesteps[i] : "no more steps")
                  + ", got t = "
                  + t);
    }
    try (NDScope scope = new NDScope()) {
      // 1. α, σ and λ = log(α/σ) at the current point s0 = t, the target t' and the previous s1
      Point s0 = point(sigmas[i]);
      Point target = point(sigmas[i + 1]);

      // 2. data prediction x_θ (from ε: (x_t − σ_t·ε_θ) / α_t; from v: α_t·x_t − σ_t·v; or the
      //    output itself): DPM-Solver++ integrates x_θ, not ε_θ
      NDArray x0 =
          predictionType.originalSample(modelOutput, sample, s0.alpha, s0.sigma); // (B, C, H, W)

      // 3. h = λ_t' − λ_s0 and the update of algorithm 2, x_t' = (σ_t'/σ_s0)·x_s0 − α_t'·(e^{−h} −
      //    1)·D, from the exact solution x_t' = (σ_t'/σ_s0)·x_s0 + σ_t'·∫ e^λ x_θ dλ with x_θ
      //    held at D; D = x_θ (first order) is DDIM's step
      float h = target.lambda - s0.lambda;
      float sampleCoeff = target.sigma / s0.sigma;
      float dataCoeff = target.alpha * (exp(-h) - 1f);
      NDArray prev = sample.mul(sampleCoeff).sub(x0.mul(dataCoeff));

      // 4. from the second step on, except the last (its σ = 0 makes h infinite and r = 0, so
      //    lower_order_final takes the first-order step there), add algorithm 2's correction D =
      // x_θ + (1/(2r))·(x_θ − x_θ,prev), r = h_prev / h, written as
      //    diffusers does: D1 = (1/r)·(x_θ − x_θ,prev), minus 0.5·α_t'·(e^{−h} − 1)·D1
      boolean firstOrder = previousX0 == null || i == timesteps.length - 1;
      if (!firstOrder) {
        Point s1 = point(sigmas[i - 1]);
        float r = (s0.lambda - s1.lambda) / h;
        NDArray d1 = x0.sub(previousX0).mul(1f / r);
        prev = prev.sub(d1.mul(0.5f * dataCoeff));
      }

      // 5. remember x_θ for the next step (a copy this scheduler owns), advance
      forgetHistory();
      if (i < timesteps.length - 1) {
        previousX0 = x0.duplicate();
        NDScope.unregister(previousX0);
        previousX0.detach();
      }
      stepIndex = i + 1;
      NDScope.unregister(prev, x0);
      return new StepResult(prev, x0);
    }
  }

  private void forgetHistory() {
    if (previousX0 != null) {
      previousX0.close();
      previousX0 = null;
    }
  }

  /** α, σ' and λ of one noise level σ, float32 in diffusers' operation order. */
  private record Point(float alpha, float sigma, float lambda) {}

  private static Point point(float sigmaVe) {
    float alpha = 1f / sqrt(sigmaVe * sigmaVe + 1f);
    float sigma = sigmaVe * alpha;
    // σ = 0 gives λ = +∞, e^{−h} = 0 and x_t' = x_θ exactly, as in diffusers
    float lambda = log(alpha) - log(sigma);
    return new Point(alpha, sigma, lambda);
  }

  private static float log(float x) {
    return (float) Math.log(x);
  }

  private static float exp(float x) {
    return (float) Math.exp(x);
  }
}
