package io.sparkddpm.sample;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import io.sparkddpm.model.Ops;
import io.sparkddpm.model.Precision;
import io.sparkddpm.model.UNet2DModel;
import java.util.Arrays;

/**
 * What a class-conditional model is asked for: one class label per image of a batch, and the
 * classifier-free guidance scale w (Ho and Salimans 2022, eq. 6 in diffusers' form): {@code eps =
 * eps(x, null) + w (eps(x, class) - eps(x, null))}. w = 1 is plain conditional sampling, computed
 * as one forward of the B conditional images; any other w is one forward of 2B images, the
 * conditional labels followed by B null labels.
 *
 * @param labels class of each image of the batch, in [0, nullClass)
 * @param nullClass the model's null class: its last class embedding
 * @param scale the guidance scale w
 */
public record Guidance(long[] labels, int nullClass, double scale) {

  /** Validates the labels against the null class. */
  public Guidance {
    labels = labels.clone();
    for (long label : labels) {
      if (label < 0 || label >= nullClass) {
        throw new IllegalArgumentException(
            "class " + label + " is outside 0.." + (nullClass - 1) + " of the model");
      }
    }
  }

  /**
   * Guidance for the images {@code indices}: image i gets {@code classes[i % classes.length]}, so
   * an image's class is a function of its index, whichever batch or task samples it.
   */
  public static Guidance roundRobin(int[] classes, long[] indices, int nullClass, double scale) {
    long[] labels = new long[indices.length];
    for (int i = 0; i < indices.length; i++) {
      labels[i] = classes[(int) (indices[i] % classes.length)];
    }
    return new Guidance(labels, nullClass, scale);
  }

  /** The class of image {@code index} under {@link #roundRobin}. */
  public static int classOf(int[] classes, long index) {
    return classes[(int) (index % classes.length)];
  }

  /** The guided noise prediction for x_t {@code x} (B, C, S, S) at timestep {@code t}. */
  NDArray predict(UNet2DModel model, ParameterStore ps, NDManager step, NDArray x, NDArray t) {
    return predict(model, ps, step, x, t, Precision.FP32);
  }

  /** As {@link #predict(UNet2DModel, ParameterStore, NDManager, NDArray, NDArray)} in {@code p}. */
  NDArray predict(
      UNet2DModel model, ParameterStore ps, NDManager step, NDArray x, NDArray t, Precision p) {
    if (scale == 1) {
      return model.forward(ps, new NDList(x, t, step.create(labels)), false, p).head();
    }
    return predictBatched(model, ps, step, x, t, p);
  }

  /** The 2B-image form, also at w = 1 (tests compare it with the single forward). */
  NDArray predictBatched(
      UNet2DModel model, ParameterStore ps, NDManager step, NDArray x, NDArray t) {
    return predictBatched(model, ps, step, x, t, Precision.FP32);
  }

  private NDArray predictBatched(
      UNet2DModel model, ParameterStore ps, NDManager step, NDArray x, NDArray t, Precision p) {
    int b = labels.length;
    long[] both = Arrays.copyOf(labels, 2 * b);
    Arrays.fill(both, b, 2 * b, nullClass);
    NDArray x2 = NDArrays.concat(new NDList(x, x)); // (2B, C, S, S)
    NDArray eps2 = model.forward(ps, new NDList(x2, t, step.create(both)), false, p).head();
    NDList halves = eps2.split(2); // conditional (B, ...), unconditional (B, ...)
    NDArray cond = halves.get(0);
    NDArray uncond = halves.get(1);
    // eps_u + w (eps_c - eps_u)
    return uncond.add(Ops.times(cond.sub(uncond), (float) scale));
  }
}
