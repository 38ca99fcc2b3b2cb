package io.sparkddpm.train;

import io.sparkddpm.data.PixelRange;
import io.sparkddpm.diffusion.PredictionType;
import io.sparkddpm.model.Precision;
import java.io.Serializable;

/**
 * What every task of one optimizer step needs besides the weights: which images form the global
 * batch, and the seed everything random is derived from. Each image's timestep and noise come from
 * (seed, step, image index), so the gradient does not depend on how images are sharded and a
 * retried task recomputes exactly the same numbers.
 *
 * @param step global optimizer step, from 0
 * @param epoch epoch of this step, from 0
 * @param batch global indices of the images of this step
 * @param seed the run's seed
 * @param alphasCumprod the DDPM schedule's cumulative alphas (T values)
 * @param range pixel range the model is trained in
 * @param failFirstAttempt test hook: the first attempt of partition 0's task throws
 * @param microBatch images per micro-batch: {@code batch} is cut into consecutive runs of this
 *     many, and a task does one forward and backward pass per run, summing the gradients (gradient
 *     accumulation); {@code batch.length} for one pass
 * @param predictionType what the model is trained to predict: the loss's target and weight
 * @param condDropout class-conditional model: probability that an image's label is replaced by the
 *     null class (the model's last class embedding), drawn from the image's seed
 * @param precision what the tasks compute the forward and backward pass in ({@code --precision});
 *     the gradient they return is float32 either way
 */
public record StepPlan(
    long step,
    int epoch,
    long[] batch,
    long seed,
    float[] alphasCumprod,
    PixelRange range,
    boolean failFirstAttempt,
    int microBatch,
    PredictionType predictionType,
    double condDropout,
    Precision precision)
    implements Serializable {

  /** Checks that the micro-batch holds at least one image. */
  public StepPlan {
    if (microBatch < 1) {
      throw new IllegalArgumentException("micro-batch of " + microBatch + " images");
    }
  }

  /** A plan without gradient accumulation that trains the model to predict the noise. */
  public StepPlan(
      long step,
      int epoch,
      long[] batch,
      long seed,
      float[] alphasCumprod,
      PixelRange range,
      boolean failFirstAttempt) {
    this(
        step,
        epoch,
        batch,
        seed,
        alphasCumprod,
        range,
        failFirstAttempt,
        Math.max(1, batch.length));
  }

  /**
   * A plan that trains an unconditional model to predict the noise (the tutorial's target), in
   * float32.
   */
  public StepPlan(
      long step,
      int epoch,
      long[] batch,
      long seed,
      float[] alphasCumprod,
      PixelRange range,
      boolean failFirstAttempt,
      int microBatch) {
    this(
        step,
        epoch,
        batch,
        seed,
        alphasCumprod,
        range,
        failFirstAttempt,
        microBatch,
        PredictionType.EPSILON,
        0,
        Precision.FP32);
  }
}
