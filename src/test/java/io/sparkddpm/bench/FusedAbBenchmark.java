package io.sparkddpm.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import io.sparkddpm.model.NoGrad;
import io.sparkddpm.model.UNet2DModel;
import io.sparkddpm.model.UNetConfig;
import io.sparkddpm.model.UNetWeights;
import io.sparkddpm.train.GradientStep;
import io.sparkddpm.train.StepInputs;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A fused libtorch path against DJL's composed ops, paired in one JVM: the same training step
 * (forward + backward) or sampling forward (no grad) of the tutorial UNet, alternating the two
 * paths in ABBA order, so that a busy machine's drift hits both alike. {@code attention} switches
 * scaled_dot_product_attention against the materialised softmax(q k^T) v (system property {@code
 * sparkddpm.fused_attention}); {@code norm} switches the group_norm(+silu) modules against layer
 * norm, multiply, add and sigmoid (system property {@code sparkddpm.fused_norm}). The other switch
 * keeps its default (fused). Prints every time and the median of the per-pair ratios; asserts
 * nothing.
 *
 * <p>Usage: {@code FusedAbBenchmark attention|norm train|sample [batch=128] [pairs=4]}
 */
public final class FusedAbBenchmark {
  private static String property;

  private FusedAbBenchmark() {}

  public static void main(String[] args) {
    property =
        switch (args[0]) {
          case "attention" -> "sparkddpm.fused_attention";
          case "norm" -> "sparkddpm.fused_norm";
          default -> throw new IllegalArgumentException("attention or norm, not " + args[0]);
        };
    boolean train = args[1].equals("train");
    int batch = args.length > 2 ? Integer.parseInt(args[2]) : 128;
    int pairs = args.length > 3 ? Integer.parseInt(args[3]) : 4;
    UNet2DModel model = new UNet2DModel(UNetConfig.tutorial());
    try (NDManager manager = NDManager.newBaseManager()) {
      model.initialize(manager);
      UNetWeights.load(model, UNetWeights.torchDefaultInit(model, 0), "init");
      StepInputs in = StepInputs.random(batch, 1);
      float[] x = in.x();
      float[] eps = in.eps();
      float[] t = in.t();
      Runnable step =
          train
              ? () ->
                  GradientStep.backwardForBenchmark(model, manager, Device.cpu(), x, eps, t, batch)
              : () -> forward(model, manager, x, t, batch);
      for (boolean fused : new boolean[] {true, false}) { // warm-up of both paths
        System.setProperty(property, Boolean.toString(fused));
        step.run();
      }
      List<Double> fusedMs = new ArrayList<>();
      List<Double> composedMs = new ArrayList<>();
      double[] ratios = new double[pairs];
      for (int p = 0; p < pairs; p++) {
        boolean fusedFirst = p % 2 == 0;
        double first = timed(step, fusedFirst);
        double second = timed(step, !fusedFirst);
        double f = fusedFirst ? first : second;
        double m = fusedFirst ? second : first;
        fusedMs.add(f);
        composedMs.add(m);
        ratios[p] = m / f;
        System.out.printf(Locale.ROOT, "pair %d: fused %.0f ms, composed %.0f ms%n", p, f, m);
      }
      Arrays.sort(ratios);
      System.out.printf(
          Locale.ROOT,
          "{\"switch\": \"%s\", \"mode\": \"%s\", \"batch\": %d, \"fused_ms\": %s,"
              + " \"composed_ms\": %s,"
              + " \"median_speedup\": %.3f}%n",
          args[0],
          args[1],
          batch,
          fusedMs,
          composedMs,
          ratios[pairs / 2]);
    }
  }

  private static double timed(Runnable step, boolean fused) {
    System.setProperty(property, Boolean.toString(fused));
    long t0 = System.nanoTime();
    step.run();
    return (System.nanoTime() - t0) / 1e6;
  }

  private static void forward(UNet2DModel model, NDManager parent, float[] x, float[] t, int n) {
    try (NoGrad off = NoGrad.enter();
        NDManager step = parent.newSubManager()) {
      NDArray in = step.create(x, new Shape(n, 1, 32, 32)); // (B, 1, 32, 32)
      NDArray time = step.create(t); // (B,)
      model.forward(new ParameterStore(step, false), new NDList(in, time), false);
    }
  }
}
