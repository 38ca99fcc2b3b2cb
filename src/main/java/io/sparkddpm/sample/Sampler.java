package io.sparkddpm.sample;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import io.sparkddpm.diffusion.NoiseScheduler;
import io.sparkddpm.diffusion.SeededNoise;
import io.sparkddpm.model.NoGrad;
import io.sparkddpm.model.Precision;
import io.sparkddpm.model.UNet2DModel;
import java.util.ArrayList;
import java.util.List;

/**
 * The reverse process of the tutorial (Ho et al. 2020, algorithm 2): start from N(0, I), and for
 * each inference timestep predict the noise and take the scheduler's step. Image i's starting noise
 * and every variance noise it receives come from seeds derived from (seed, i), so an image does not
 * depend on which batch or task computes it.
 */
public final class Sampler {
  private Sampler() {}

  /**
   * Final images, optionally snapshots of x_t taken along the way, and each denoising step's wall
   * time in ms (model forward, noise draw and scheduler step; what the benchmarks report).
   */
  public record Result(
      float[] images, List<float[]> snapshots, long[] snapshotTimesteps, double[] stepMs) {}

  /** Supplies the starting noise and each step's variance noise of a batch. */
  public interface Noise {
    /** x_T, (B, C, S, S). */
    NDArray start(NDManager manager, Shape shape);

    /** The variance noise of step {@code k} (timestep {@code t}), (B, C, S, S). */
    NDArray step(NDManager manager, Shape shape, int k, long t);
  }

  /** Noise of image i from seeds derived from (seed, i): batch-independent. */
  public static Noise seeded(long seed, long[] indices) {
    return new Noise() {
      @Override
      public NDArray start(NDManager manager, Shape shape) {
        return SeededNoise.standardNormal(manager, seeds(-1), shape);
      }

      @Override
      public NDArray step(NDManager manager, Shape shape, int k, long t) {
        return SeededNoise.standardNormal(manager, seeds(t), shape);
      }

      private long[] seeds(long t) {
        long[] out = new long[indices.length];
        for (int i = 0; i < out.length; i++) {
          out[i] = SeededNoise.derive(seed, indices[i], t);
        }
        return out;
      }
    };
  }

  /**
   * What a reverse process takes besides the model, scheduler and noise.
   *
   * @param snapshots how many evenly spaced snapshots of x_t to keep (0 = none); the last one is
   *     the final image
   * @param guidance the classes of a class-conditional model and the guidance scale, or null for an
   *     unconditional model
   * @param precision what the model's forward computes in; its prediction, x_t and the scheduler's
   *     arithmetic are float32 either way
   */
  public record Options(int snapshots, Guidance guidance, Precision precision) {
    /** An unconditional model in float32. */
    public static Options snapshots(int snapshots) {
      return new Options(snapshots, null, Precision.FP32);
    }

    /** These options for a conditional model asked for {@code guidance}'s classes. */
    public Options withGuidance(Guidance guidance) {
      return new Options(snapshots, guidance, precision);
    }
  }

  /**
   * Samples one image per entry of {@code indices}, as one batch, with seeded noise, from an
   * unconditional model in float32.
   *
   * @param model the noise-prediction network (weights loaded)
   * @param manager where arrays are created (its device is used)
   * @param scheduler a scheduler on which {@code setTimesteps} was called
   * @param seed the run's seed
   * @param indices global image numbers
   * @param snapshots {@link Options#snapshots()}
   * @return (B, C, S, S) floats in the model's pixel range, row-major
   */
  public static Result sample(
      UNet2DModel model,
      NDManager manager,
      NoiseScheduler scheduler,
      long seed,
      long[] indices,
      int snapshots) {
    return sample(model, manager, scheduler, seed, indices, Options.snapshots(snapshots));
  }

  /**
   * As {@link #sample(UNet2DModel, NDManager, NoiseScheduler, long, long[], int)}, with options.
   */
  public static Result sample(
      UNet2DModel model,
      NDManager manager,
      NoiseScheduler scheduler,
      long seed,
      long[] indices,
      Options options) {
    return run(model, manager, scheduler, indices.length, seeded(seed, indices), options);
  }

  /** The reverse loop over {@code batch} images with the given noise, unconditional, float32. */
  public static Result run(
      UNet2DModel model,
      NDManager manager,
      NoiseScheduler scheduler,
      int batch,
      Noise noise,
      int snapshots) {
    return run(model, manager, scheduler, batch, noise, Options.snapshots(snapshots));
  }

  /** The reverse loop over {@code batch} images with the given noise and options. */
  public static Result run(
      UNet2DModel model,
      NDManager manager,
      NoiseScheduler scheduler,
      int batch,
      Noise noise,
      Options options) {
    int snapshots = options.snapshots();
    Guidance guidance = options.guidance();
    Precision precision = options.precision();
    precision.warnIfSlowOn(manager.getDevice());
    int c = model.config().inChannels();
    int s = model.config().sampleSize();
    Shape shape = new Shape(batch, c, s, s);
    long[] timesteps = scheduler.timesteps();
    List<float[]> kept = new ArrayList<>();
    long[] keptAt = new long[Math.max(snapshots, 0)];
    // libtorch's grad mode is per thread and on by default in a Spark task thread: without this,
    // every step's x_t would keep the autograd graph of all earlier steps alive (tens of GB).
    try (NoGrad off = NoGrad.enter();
        NDManager loop = manager.newSubManager()) {
      NDArray x = noise.start(loop, shape); // x_T: (B, C, S, S)
      ParameterStore ps = new ParameterStore(loop, false);
      double[] stepMs = new double[timesteps.length];
      for (int k = 0; k < timesteps.length; k++) {
        long t = timesteps[k];
        long stepStarted = System.nanoTime();
        try (NDManager step = loop.newSubManager()) {
          x.attach(step);
          NDArray tArr = step.create(new float[] {t});
          NDArray eps = // (B, C, S, S)
              guidance == null
                  ? model.forward(ps, new NDList(x, tArr), false, precision).head()
                  : guidance.predict(model, ps, step, x, tArr, precision);
          NDArray z = scheduler.usesNoise(t) ? noise.step(step, shape, k, t) : null;
          NDArray next = scheduler.step(eps, t, x, z).prevSample();
          next.attach(loop);
          x = next;
        }
        stepMs[k] = (System.nanoTime() - stepStarted) / 1e6; // libtorch ops are synchronous on CPU
        if (snapshots > 0) {
          int slot = kept.size();
          // Keep evenly spaced points, the last one being the final step.
          long due = Math.round((double) (slot + 1) * timesteps.length / snapshots) - 1;
          if (k == due) {
            kept.add(x.toFloatArray());
            keptAt[slot] = t;
          }
        }
      }
      return new Result(x.toFloatArray(), kept, keptAt, stepMs);
    }
  }
}
