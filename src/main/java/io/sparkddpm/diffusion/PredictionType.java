package io.sparkddpm.diffusion;

import ai.djl.ndarray.NDArray;
import io.sparkddpm.base.DiffusersName;

/**
 * What the model is trained to predict from x_t, by diffusers' {@code prediction_type} name: the
 * noise ε (Ho et al. 2020), the clean sample x_0, or the velocity v = sqrt(ᾱ_t)·ε − sqrt(1 −
 * ᾱ_t)·x_0 (Salimans and Ho 2022, "Progressive Distillation", section 4). The schedulers turn any
 * of them into x_0 and ε; training builds the matching target.
 */
public enum PredictionType implements DiffusersName {
  /** The noise ε that was added: diffusers' default and the tutorial's. */
  EPSILON("epsilon"),
  /** The velocity v of Salimans and Ho 2022, diffusers' {@code get_velocity}. */
  V_PREDICTION("v_prediction"),
  /** The clean sample x_0 itself. */
  SAMPLE("sample");

  private final String diffusersName;

  PredictionType(String diffusersName) {
    this.diffusersName = diffusersName;
  }

  @Override
  public String diffusersName() {
    return diffusersName;
  }

  /** The {@link #diffusersName()}: what {@code --prediction-type} is spelled as. */
  @Override
  public String toString() {
    return diffusersName;
  }

  /** The type called {@code name} in diffusers, or an error listing the supported ones. */
  public static PredictionType parse(String name) {
    return DiffusersName.parse(PredictionType.class, "prediction_type", name);
  }

  /**
   * x_0 from the model's output at a timestep with {@code a} = sqrt(ᾱ_t), {@code b} = sqrt(1 −
   * ᾱ_t), in diffusers' operation order, not clipped: ε gives (x_t − b·ε)/a (Ho et al. 2020, eq.
   * 15), v gives a·x_t − b·v, and x_0 is itself.
   */
  NDArray originalSample(NDArray modelOutput, NDArray sample, float a, float b) {
    return switch (this) {
      case EPSILON -> sample.sub(modelOutput.mul(b)).div(a);
      case V_PREDICTION -> sample.mul(a).sub(modelOutput.mul(b));
      case SAMPLE -> modelOutput.duplicate();
    };
  }

  /**
   * ε from the model's output, as DDIM's direction to x_t uses it (from the unclipped x_0): the
   * output itself, a·v + b·x_t, or (x_t − a·x_0)/b.
   */
  NDArray epsilon(NDArray modelOutput, NDArray sample, float a, float b) {
    return switch (this) {
      case EPSILON -> modelOutput;
      case V_PREDICTION -> modelOutput.mul(a).add(sample.mul(b));
      case SAMPLE -> sample.sub(modelOutput.mul(a)).div(b);
    };
  }

  /**
   * The training target of one value, with {@code a} = sqrt(ᾱ_t), {@code b} = sqrt(1 − ᾱ_t) in
   * float32: ε, x_0, or v = a·ε − b·x_0 rounded as diffusers' {@code get_velocity} on float32
   * tensors (each product, then the difference).
   */
  public float target(float x0, float eps, float a, float b) {
    return switch (this) {
      case EPSILON -> eps;
      case V_PREDICTION -> a * eps - b * x0;
      case SAMPLE -> x0;
    };
  }

  /**
   * The weight of one image's mean squared error at a timestep with cumulative alpha {@code
   * alphaCumprod}: 1, except for {@link #SAMPLE}, whose error diffusers' {@code
   * train_unconditional.py} weights by the signal-to-noise ratio ᾱ_t / (1 − ᾱ_t) ("SNR weighting
   * from the distillation paper"), which makes it equal to the error in ε.
   */
  public float lossWeight(float alphaCumprod) {
    return this == SAMPLE ? alphaCumprod / (1f - alphaCumprod) : 1f;
  }
}
