package io.sparkddpm.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.sparkddpm.diffusion.PredictionType;
import io.sparkddpm.diffusion.SeededNoise;
import io.sparkddpm.executor.ExecutorModels;
import io.sparkddpm.model.Ops;
import io.sparkddpm.model.Precision;
import io.sparkddpm.model.UNet2DModel;
import io.sparkddpm.model.UNetWeights;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;

/**
 * The work of one task in one optimizer step (Ho et al. 2020, algorithm 1): for the images of the
 * global batch that its shard holds, draw t and noise, form {@code x_t = sqrt(abar_t) x0 + sqrt(1 -
 * abar_t) eps}, predict the target of {@code --prediction-type} (eps, v or x0; x0's error weighted
 * by abar_t / (1 - abar_t) as diffusers' train_unconditional.py), given the image's class label
 * when the model is class-conditional (Ho and Salimans 2022's label dropout replaces it by the null
 * class with probability {@code condDropout}), and return the gradient of the summed per-image MSE.
 * The driver divides the sum over all tasks by the global batch size: the mean loss of one process.
 * With gradient accumulation the batch comes in micro-batches ({@link StepPlan#microBatch()}), one
 * pass each, the gradients summed: the same sum as one pass over the whole batch, up to float
 * rounding.
 */
public final class GradientStep {
  private GradientStep() {}

  /** What runs between the forward and the backward pass of a real step: nothing. */
  static final Runnable NOTHING = () -> {};

  /**
   * A task's contribution: gradient and loss summed over its {@code count} images, and the seconds
   * the computation took (inputs, forward, backward, gradient copy; not Spark's work around it).
   * {@code gradSum} is null when {@code count} is 0, or when the gradient was written into a
   * caller's buffer instead.
   */
  public record Partial(float[] gradSum, double lossSum, int count, double seconds)
      implements Serializable {}

  /**
   * Computes the partial result of {@code shard} for {@code plan} with the weights in the model.
   */
  public static Partial compute(
      UNet2DModel model, NDManager parent, Device device, Shard shard, StepPlan plan) {
    return compute(model, parent, device, shard, plan, null);
  }

  /**
   * As {@link #compute(UNet2DModel, NDManager, Device, Shard, StepPlan)}; when {@code gradOut} is
   * not null the gradient sum goes there instead ({@link UNetWeights#flatGradient(UNet2DModel,
   * ByteBuffer)}: at its position, in its byte order) and the returned partial's {@code gradSum} is
   * null. The persistent stage writes it straight into the frame it sends.
   */
  public static Partial compute(
      UNet2DModel model,
      NDManager parent,
      Device device,
      Shard shard,
      StepPlan plan,
      ByteBuffer gradOut) {
    return compute(model, parent, device, shard, plan, gradOut, NOTHING);
  }

  /**
   * As {@link #compute(UNet2DModel, NDManager, Device, Shard, StepPlan, ByteBuffer)}, running
   * {@code betweenForwardAndBackward} after the forward pass (tests force a garbage collection
   * there: {@link LocalGradients#LocalGradients(java.util.List, io.sparkddpm.model.UNetConfig,
   * Runnable)}).
   */
  static Partial compute(
      UNet2DModel model,
      NDManager parent,
      Device device,
      Shard shard,
      StepPlan plan,
      ByteBuffer gradOut,
      Runnable betweenForwardAndBackward) {
    long started = System.nanoTime();
    long[] batch = plan.batch();
    int micro = plan.microBatch();
    int[] rows = new int[Math.min(micro, batch.length)];
    long[] ids = new long[rows.length];
    double lossSum = 0;
    int count = 0;
    // Gradient accumulation: one forward and backward pass per micro-batch, libtorch summing the
    // gradients into the parameters' grad, so a task holds the activations of one micro-batch.
    for (int from = 0; from < batch.length; from += micro) {
      int n = 0;
      for (int j = from; j < Math.min(batch.length, from + micro); j++) {
        int row = shard.rowOf(batch[j]);
        if (row >= 0) {
          rows[n] = row;
          ids[n++] = batch[j];
        }
      }
      if (n == 0) {
        continue;
      }
      if (count == 0) {
        zeroGradients(model);
      }
      lossSum +=
          accumulate(model, parent, device, plan, shard, rows, ids, n, betweenForwardAndBackward);
      count += n;
    }
    if (count == 0) {
      return new Partial(null, 0, 0, 0);
    }
    float[] gradSum = null;
    if (gradOut != null) {
      UNetWeights.flatGradient(model, gradOut);
    } else {
      gradSum = UNetWeights.flatGradient(model);
    }
    return new Partial(gradSum, lossSum, count, (System.nanoTime() - started) / 1e9);
  }

  /**
   * Adds the gradient of the summed loss of {@code n} images (shard rows {@code rows}, global
   * indices {@code ids}) to the parameters' gradients; returns that loss.
   */
  private static double accumulate(
      UNet2DModel model,
      NDManager parent,
      Device device,
      StepPlan plan,
      Shard shard,
      int[] rows,
      long[] ids,
      int n,
      Runnable betweenForwardAndBackward) {
    int pixels = shard.imagePixels();
    PredictionType type = plan.predictionType();
    float[] noisy = new float[n * pixels];
    float[] eps = new float[n * pixels];
    // ε is its own target; v and x_0 get their own array
    float[] target = type == PredictionType.EPSILON ? eps : new float[n * pixels];
    float[] weights = type == PredictionType.SAMPLE ? new float[n] : null;
    float[] t = new float[n];
    long[] labels = model.config().conditional() ? new long[n] : null;
    float[] abar = plan.alphasCumprod();
    for (int i = 0; i < n; i++) {
      long sampleSeed = SeededNoise.derive(plan.seed(), plan.step(), ids[i]);
      int timestep =
          new SplittableRandom(SeededNoise.derive(sampleSeed, 0, 0)).nextInt(abar.length);
      t[i] = timestep;
      if (labels != null) {
        int nullClass = model.config().numClassEmbeds() - 1;
        int label = shard.label(rows[i]);
        if (label < 0 || label >= nullClass) {
          // The task-side guard: an unlabelled set, or more classes than the model embeds.
          throw new IllegalArgumentException(
              String.format(
                  "--conditional: training image %d has %s, but the model's num_class_embeds %d"
                      + " needs labels 0..%d",
                  ids[i],
                  label < 0 ? "no label (unlabelled --data)" : "label " + label,
                  nullClass + 1,
                  nullClass - 1));
        }
        labels[i] = dropsLabel(sampleSeed, plan.condDropout()) ? nullClass : label;
      }
      SeededNoise.fill(sampleSeed, eps, i * pixels, pixels);
      float a = (float) Math.sqrt(abar[timestep]);
      float b = (float) Math.sqrt(1 - abar[timestep]);
      // x_0 (the cropped, flipped image) goes into noisy first, which then becomes x_t in place
      shard.modelInput(rows[i], plan.seed(), plan.epoch(), plan.range(), noisy, i * pixels);
      for (int p = 0; p < pixels; p++) {
        int k = i * pixels + p;
        float x0 = noisy[k];
        noisy[k] = a * x0 + b * eps[k];
        if (target != eps) {
          target[k] = type.target(x0, eps[k], a, b);
        }
      }
      if (weights != null) {
        weights[i] = type.lossWeight(abar[timestep]);
      }
    }
    return forwardBackward(
        model,
        parent,
        device,
        plan.precision(),
        noisy,
        target,
        weights,
        t,
        labels,
        n,
        betweenForwardAndBackward);
  }

  /**
   * Whether the image of {@code sampleSeed} (the seed of (run seed, step, image)) trains on the
   * null class this step: a uniform draw of its own stream, below {@code p}. A function of the seed
   * only, so a retried task, a recomputed step and a resumed run drop the same labels.
   */
  static boolean dropsLabel(long sampleSeed, double p) {
    return p > 0 && new SplittableRandom(SeededNoise.derive(sampleSeed, 0, 1)).nextDouble() < p;
  }

  /** {@link #backward} for benchmarks: loss and gradients of prepared inputs. */
  public static Partial backwardForBenchmark(
      UNet2DModel model,
      NDManager parent,
      Device device,
      float[] noisy,
      float[] eps,
      float[] t,
      int n) {
    return backwardForBenchmark(model, parent, device, noisy, eps, t, n, NOTHING);
  }

  /**
   * As {@link #backwardForBenchmark(UNet2DModel, NDManager, Device, float[], float[], float[],
   * int)}, running {@code betweenForwardAndBackward} after the forward pass.
   */
  public static Partial backwardForBenchmark(
      UNet2DModel model,
      NDManager parent,
      Device device,
      float[] noisy,
      float[] eps,
      float[] t,
      int n,
      Runnable betweenForwardAndBackward) {
    synchronized (ExecutorModels.STEP_LOCK) {
      return backward(
          model, parent, device, noisy, eps, null, t, n, null, betweenForwardAndBackward);
    }
  }

  /**
   * Loss and gradients of {@code n} noisy images of an unconditional model against their targets,
   * each image's mean squared error times its weight ({@code weights} null: all 1); the gradient
   * into {@code gradOut} when it is not null.
   */
  static Partial backward(
      UNet2DModel model,
      NDManager parent,
      Device device,
      float[] noisy,
      float[] targets,
      float[] weights,
      float[] t,
      int n,
      ByteBuffer gradOut,
      Runnable betweenForwardAndBackward) {
    return backward(
        model,
        parent,
        device,
        Precision.FP32,
        noisy,
        targets,
        weights,
        t,
        n,
        gradOut,
        betweenForwardAndBackward);
  }

  /**
   * As {@link #backward(UNet2DModel, NDManager, Device, float[], float[], float[], float[], int,
   * ByteBuffer, Runnable)}, the forward and backward pass computed in {@code precision}; the
   * gradient is float32 either way.
   */
  static Partial backward(
      UNet2DModel model,
      NDManager parent,
      Device device,
      Precision precision,
      float[] noisy,
      float[] targets,
      float[] weights,
      float[] t,
      int n,
      ByteBuffer gradOut,
      Runnable betweenForwardAndBackward) {
    zeroGradients(model);
    double lossSum =
        forwardBackward(
            model,
            parent,
            device,
            precision,
            noisy,
            targets,
            weights,
            t,
            null,
            n,
            betweenForwardAndBackward);
    if (gradOut != null) {
      UNetWeights.flatGradient(model, gradOut);
      return new Partial(null, lossSum, n, 0);
    }
    return new Partial(UNetWeights.flatGradient(model), lossSum, n, 0);
  }

  private static void zeroGradients(UNet2DModel model) {
    for (Parameter p : model.namedParameters().values()) {
      // DJL's collector does not zero gradients and libtorch accumulates into them.
      if (p.getArray().hasGradient()) {
        JniUtils.zeroGrad((PtNDArray) p.getArray());
      }
    }
  }

  /**
   * Forward and backward pass of {@code n} noisy images against their targets, the gradient added
   * to the parameters', given their class labels when {@code labels} is not null; returns the sum
   * of each image's MSE times its weight ({@code weights} null: all 1). The model computes in
   * {@code precision}; its prediction, the loss and the gradients are float32 either way.
   */
  private static double forwardBackward(
      UNet2DModel model,
      NDManager parent,
      Device device,
      Precision precision,
      float[] noisy,
      float[] targets,
      float[] weights,
      float[] t,
      long[] labels,
      int n,
      Runnable betweenForwardAndBackward) {
    precision.warnIfSlowOn(device);
    int side = model.config().sampleSize();
    Shape shape = new Shape(n, model.config().inChannels(), side, side);
    try (NDManager step = parent.newSubManager(device)) {
      NDArray x = libtorchOwned(step.create(noisy, shape)); // (n, 1, 32, 32)
      NDArray target = libtorchOwned(step.create(targets, shape)); // (n, 1, 32, 32)
      NDArray time = libtorchOwned(step.create(t)); // (n,)
      NDList inputs = new NDList(x, time);
      if (labels != null) {
        inputs.add(libtorchOwned(step.create(labels))); // (n,)
      }
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        NDArray pred =
            model.forward(new ParameterStore(step, false), inputs, true, precision).head();
        // Sum over images of each image's (weighted) mean squared error, in float32 (mse_loss is
        // on autocast's float32 list).
        NDArray squared = pred.sub(target).square(); // (n, C, H, W)
        NDArray loss =
            weights == null
                ? Ops.divide(squared.sum(), shape.size() / n)
                : Ops.divide(
                    squared
                        .sum(new int[] {1, 2, 3})
                        .mul(libtorchOwned(step.create(weights))) // (n,)
                        .sum(),
                    shape.size() / n);
        double lossSum = loss.getFloat();
        betweenForwardAndBackward.run();
        gc.backward(loss);
        return lossSum;
      }
    }
  }

  /**
   * A copy of {@code javaBacked} in memory libtorch allocated, the original closed at once. On the
   * CPU, DJL's {@code create(float[])} wraps a Java direct buffer ({@code from_blob}) that the JVM
   * frees when its garbage collector decides, while autograd keeps the input for conv_in's
   * backward; a copy that libtorch owns lives exactly as long as libtorch needs it.
   */
  private static NDArray libtorchOwned(NDArray javaBacked) {
    NDArray copy = javaBacked.duplicate();
    javaBacked.close();
    return copy;
  }
}
