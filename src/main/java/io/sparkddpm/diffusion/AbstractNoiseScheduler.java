package io.sparkddpm.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;

/**
 * What the schedulers share: the schedule constants, the inference timesteps of {@code
 * timestep_spacing}, the forward process and the x_0 prediction. Constants are float32 arrays
 * computed once, because diffusers computes every coefficient on float32 tensors and its results
 * are the reference.
 */
abstract class AbstractNoiseScheduler implements NoiseScheduler {

  final SchedulerConfig config;

  /** T, the number of training timesteps. */
  final int numTrain;

  final float[] betas;
  final float[] alphasCumprod;

  /** sqrt(ᾱ_t) and sqrt(1 − ᾱ_t), float32 as torch's {@code ** 0.5} on float32 tensors. */
  final float[] sqrtAlphasCumprod;

  final float[] sqrtOneMinusAlphasCumprod;

  /** How {@link #setTimesteps} spreads the inference timesteps. */
  final TimestepSpacing spacing;

  /** What the model's output is: ε, v or x_0. */
  final PredictionType predictionType;

  /** Number of inference steps chosen by {@link #setTimesteps}; 0 before the first call. */
  int numInferenceSteps;

  long[] timesteps;

  AbstractNoiseScheduler(SchedulerConfig config) {
    this.config = config;
    this.numTrain = config.numTrainTimesteps();
    this.spacing = TimestepSpacing.parse(config.timestepSpacing());
    this.predictionType = PredictionType.parse(config.predictionType());
    this.betas = config.betaSchedule().betas(numTrain, config.betaStart(), config.betaEnd());
    this.alphasCumprod = BetaSchedule.alphasCumprod(betas);
    this.sqrtAlphasCumprod = new float[numTrain];
    this.sqrtOneMinusAlphasCumprod = new float[numTrain];
    for (int t = 0; t < numTrain; t++) {
      sqrtAlphasCumprod[t] = sqrt(alphasCumprod[t]);
      sqrtOneMinusAlphasCumprod[t] = sqrt(1f - alphasCumprod[t]);
    }
    this.timesteps = new long[numTrain];
    for (int i = 0; i < numTrain; i++) {
      timesteps[i] = numTrain - 1 - i;
    }
  }

  /** Correctly rounded float32 square root (double sqrt rounded once more is still exact). */
  static float sqrt(float x) {
    return (float) Math.sqrt(x);
  }

  @Override
  public SchedulerConfig config() {
    return config;
  }

  @Override
  public void setTimesteps(int n) {
    if (n < 1 || n > numTrain) {
      throw new IllegalArgumentException(
          "number of inference steps must be in [1, num_train_timesteps = "
              + numTrain
              + "], got "
              + n);
    }
    this.timesteps = inferenceTimesteps(n);
    this.numInferenceSteps = n;
    onTimestepsSet();
  }

  /** The n timesteps of {@link #setTimesteps}, DDPM's and DDIM's rule unless overridden. */
  long[] inferenceTimesteps(int n) {
    return spacing.timesteps(numTrain, n, config.stepsOffset());
  }

  /** Hook for subclasses that index the new schedule. */
  void onTimestepsSet() {}

  @Override
  public long[] timesteps() {
    return timesteps.clone();
  }

  @Override
  public float[] alphasCumprod() {
    return alphasCumprod.clone();
  }

  @Override
  public float[] betas() {
    return betas.clone();
  }

  /** {@code t} as an index into the schedule, or an error if it is outside [0, T). */
  int index(long t) {
    if (t < 0 || t >= numTrain) {
      throw new IllegalArgumentException(
          "timestep " + t + " is outside [0, num_train_timesteps = " + numTrain + ")");
    }
    return (int) t;
  }

  @Override
  public NDArray addNoise(NDArray x0, NDArray noise, long[] t) {
    Shape shape = x0.getShape(); // (B, C, H, W)
    requireShape("noise", noise, shape);
    int batch = (int) shape.get(0);
    if (t.length != batch) {
      throw new IllegalArgumentException(
          "addNoise needs one timestep per batch element: " + batch + ", got " + t.length);
    }
    float[] signal = new float[batch];
    float[] noiseScale = new float[batch];
    for (int i = 0; i < batch; i++) {
      int ti = index(t[i]);
      signal[i] = sqrtAlphasCumprod[ti];
      noiseScale[i] = sqrtOneMinusAlphasCumprod[ti];
    }
    long[] perSample = new long[shape.dimension()]; // (B, 1, 1, 1): broadcast over each sample
    Arrays.fill(perSample, 1);
    perSample[0] = batch;
    try (NDScope scope = new NDScope()) {
      NDManager m = x0.getManager();
      NDArray a = m.create(signal, new Shape(perSample));
      NDArray s = m.create(noiseScale, new Shape(perSample));
      NDArray noisy = x0.mul(a).add(noise.mul(s)); // (B, C, H, W)
      NDScope.unregister(noisy);
      return noisy;
    }
  }

  /**
   * x_0 predicted from the model's output (from ε: Ho et al. 2020, eq. 15), clamped to
   * ±clip_sample_range when clip_sample is set (diffusers' {@code thresholding} is accepted only
   * off, so the clamp is the only correction, as in diffusers' step).
   */
  NDArray predictOriginal(NDArray modelOutput, int t, NDArray sample) {
    NDArray x0 =
        predictionType.originalSample(
            modelOutput, sample, sqrtAlphasCumprod[t], sqrtOneMinusAlphasCumprod[t]);
    if (config.clipSample()) {
      float r = (float) config.clipSampleRange();
      x0 = x0.clip(-r, r);
    }
    return x0;
  }

  /** Checks the step's arrays agree in shape; noise only when it is used. */
  static void checkStepInputs(NDArray modelOutput, NDArray sample, NDArray noise) {
    Shape shape = sample.getShape();
    requireShape("modelOutput", modelOutput, shape);
    if (noise != null) {
      requireShape("varianceNoise", noise, shape);
    }
  }

  static void requireShape(String name, NDArray array, Shape expected) {
    if (!array.getShape().equals(expected)) {
      throw new IllegalArgumentException(
          name + " has shape " + array.getShape() + ", expected " + expected);
    }
  }
}
