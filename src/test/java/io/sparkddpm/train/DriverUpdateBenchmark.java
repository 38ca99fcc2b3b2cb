package io.sparkddpm.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ForkJoinPool;

/**
 * The driver's per-step arithmetic (sum of P partial gradients in partition order, then Adam) on a
 * vector of the tutorial UNet's size, run on the common fork-join pool (as in training) and inside
 * a pool of one thread (the sequential loop it replaced), alternating in ABBA order. Prints both
 * medians; asserts nothing. Lives beside the package-private classes it times.
 *
 * <p>Usage: {@code DriverUpdateBenchmark [params=1707009] [partials=2] [pairs=10]}
 */
public final class DriverUpdateBenchmark {
  private DriverUpdateBenchmark() {}

  public static void main(String[] args) throws Exception {
    int size = args.length > 0 ? Integer.parseInt(args[0]) : 1_707_009;
    int p = args.length > 1 ? Integer.parseInt(args[1]) : 2;
    int pairs = args.length > 2 ? Integer.parseInt(args[2]) : 10;
    Random r = new Random(1);
    List<GradientStep.Partial> partials = new ArrayList<>();
    for (int k = 0; k < p; k++) {
      float[] g = new float[size];
      for (int i = 0; i < size; i++) {
        g[i] = (float) r.nextGaussian();
      }
      partials.add(new GradientStep.Partial(g, 1, 64, 0));
    }
    float[] params = new float[size];
    Adam adam = new Adam(size);
    Runnable step = () -> adam.update(params, AllReduce.mean(partials, size).grad(), 1e-3);
    ForkJoinPool one = new ForkJoinPool(1);
    for (int w = 0; w < 3; w++) { // warm-up, both ways
      step.run();
      one.submit(step).get();
    }
    double[] parallel = new double[pairs];
    double[] sequential = new double[pairs];
    for (int k = 0; k < pairs; k++) {
      boolean parallelFirst = k % 2 == 0;
      for (int j = 0; j < 2; j++) {
        boolean par = parallelFirst == (j == 0);
        long t0 = System.nanoTime();
        if (par) {
          step.run();
        } else {
          one.submit(step).get();
        }
        double ms = (System.nanoTime() - t0) / 1e6;
        (par ? parallel : sequential)[k] = ms;
      }
    }
    Arrays.sort(parallel);
    Arrays.sort(sequential);
    System.out.printf(
        Locale.ROOT,
        "{\"params\": %d, \"partials\": %d, \"pool_threads\": %d, \"parallel_median_ms\": %.2f,"
            + " \"sequential_median_ms\": %.2f, \"parallel_min_max_ms\": [%.2f, %.2f],"
            + " \"sequential_min_max_ms\": [%.2f, %.2f]}%n",
        size,
        p,
        ForkJoinPool.getCommonPoolParallelism(),
        parallel[pairs / 2],
        sequential[pairs / 2],
        parallel[0],
        parallel[pairs - 1],
        sequential[0],
        sequential[pairs - 1]);
    one.shutdown();
  }
}
