package io.sparkddpm.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import io.sparkddpm.model.FlatParameters;
import io.sparkddpm.model.NoGrad;
import io.sparkddpm.model.UNet2DModel;
import io.sparkddpm.model.UNetConfig;
import io.sparkddpm.model.UNetWeights;
import io.sparkddpm.train.GradientStep;
import io.sparkddpm.train.StepInputs;
import java.util.Arrays;
import java.util.Locale;

/**
 * Parameters bound to one flat tensor ({@link FlatParameters}, as the executors' models are)
 * against the same model with a tensor of its own per parameter (as a freshly initialised model
 * has), paired in one JVM: the same sampling forward (no grad) or training step of the tutorial
 * UNet with the same weights, alternating the two models in ABBA order. Prints every time and the
 * median of the per-pair ratios; asserts nothing.
 *
 * <p>Usage: {@code FlatAbBenchmark train|sample [batch=64] [pairs=6]}
 */
public final class FlatAbBenchmark {
  private FlatAbBenchmark() {}

  public static void main(String[] args) {
    boolean train = args[0].equals("train");
    int batch = args.length > 1 ? Integer.parseInt(args[1]) : 64;
    int pairs = args.length > 2 ? Integer.parseInt(args[2]) : 6;
    try (NDManager manager = NDManager.newBaseManager()) {
      UNet2DModel own = model(manager);
      UNet2DModel flat = model(manager);
      FlatParameters.bind(flat, manager);
      StepInputs in = StepInputs.random(batch, 1);
      float[] x = in.x();
      float[] eps = in.eps();
      float[] t = in.t();
      UNet2DModel[] models = {flat, own};
      for (UNet2DModel m : models) { // warm-up of both
        run(m, manager, train, x, eps, t, batch);
      }
      double[] flatMs = new double[pairs];
      double[] ownMs = new double[pairs];
      double[] ratios = new double[pairs];
      for (int p = 0; p < pairs; p++) {
        boolean flatFirst = p % 2 == 0;
        double first = run(flatFirst ? flat : own, manager, train, x, eps, t, batch);
        double second = run(flatFirst ? own : flat, manager, train, x, eps, t, batch);
        flatMs[p] = flatFirst ? first : second;
        ownMs[p] = flatFirst ? second : first;
        ratios[p] = flatMs[p] / ownMs[p];
        System.out.printf(
            Locale.ROOT, "pair %d: flat %.0f ms, own tensors %.0f ms%n", p, flatMs[p], ownMs[p]);
      }
      Arrays.sort(ratios);
      System.out.printf(
          Locale.ROOT,
          "{\"mode\": \"%s\", \"batch\": %d, \"flat_ms\": %s, \"own_ms\": %s,"
              + " \"median_flat_over_own\": %.3f}%n",
          args[0],
          batch,
          Arrays.toString(flatMs),
          Arrays.toString(ownMs),
          ratios[pairs / 2]);
    }
  }

  private static UNet2DModel model(NDManager manager) {
    UNet2DModel model = new UNet2DModel(UNetConfig.tutorial());
    model.initialize(manager);
    UNetWeights.load(model, UNetWeights.torchDefaultInit(model, 0), "init");
    return model;
  }

  private static double run(
      UNet2DModel model,
      NDManager parent,
      boolean train,
      float[] x,
      float[] eps,
      float[] t,
      int n) {
    long t0 = System.nanoTime();
    if (train) {
      GradientStep.backwardForBenchmark(model, parent, Device.cpu(), x, eps, t, n);
    } else {
      try (NoGrad off = NoGrad.enter();
          NDManager step = parent.newSubManager()) {
        NDArray in = step.create(x, new Shape(n, 1, 32, 32)); // (B, 1, 32, 32)
        NDArray time = step.create(t); // (B,)
        model.forward(new ParameterStore(step, false), new NDList(in, time), false);
      }
    }
    return (System.nanoTime() - t0) / 1e6;
  }
}
