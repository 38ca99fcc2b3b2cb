package io.sparkddpm.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ForkJoinPool;

/**
 * The driver's per-step arithmetic (sum of P partial gradients in partition order, then Adam) on a
 * vector of the tutorial UNet's size, three ways in one JVM, their order rotating from round to
 * round: as the driver runs it (chunks on the common fork-join pool, the mean written into one
 * vector reused from step to step), the same with a fresh mean vector every step (before the
 * reuse), and inside a pool of one thread with a fresh vector (the sequential loop before the
 * chunking). Prints the three medians; asserts nothing. Lives beside the package-private classes it
 * times.
 *
 * <p>Usage: {@code DriverUpdateBenchmark [params=1707009] [partials=2] [rounds=10]}
 */
public final class DriverUpdateBenchmark {
  private DriverUpdateBenchmark() {}

  public static void main(String[] args) throws Exception {
    int size = args.length > 0 ? Integer.parseInt(args[0]) : 1_707_009;
    int p = args.length > 1 ? Integer.parseInt(args[1]) : 2;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 10;
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
    float[] reused = new float[size];
    Adam adam = new Adam(size);
    ForkJoinPool one = new ForkJoinPool(1);
    Runnable fresh = () -> adam.update(params, AllReduce.mean(partials, size).grad(), 1e-3);
    Runnable[] ways = {
      () -> adam.update(params, AllReduce.mean(partials, reused).grad(), 1e-3),
      fresh,
      () -> {
        try {
          one.submit(fresh).get();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }
    };
    for (int w = 0; w < 3; w++) { // warm-up, every way
      for (Runnable way : ways) {
        way.run();
      }
    }
    double[][] ms = new double[ways.length][rounds];
    for (int k = 0; k < rounds; k++) {
      for (int j = 0; j < ways.length; j++) {
        int way = (j + k) % ways.length;
        long t0 = System.nanoTime();
        ways[way].run();
        ms[way][k] = (System.nanoTime() - t0) / 1e6;
      }
    }
    for (double[] m : ms) {
      Arrays.sort(m);
    }
    System.out.printf(
        Locale.ROOT,
        "{\"params\": %d, \"partials\": %d, \"pool_threads\": %d, \"rounds\": %d,"
            + " \"pool_reused_median_ms\": %.2f, \"pool_fresh_median_ms\": %.2f,"
            + " \"one_thread_fresh_median_ms\": %.2f, \"pool_reused_min_max_ms\": [%.2f, %.2f]}%n",
        size,
        p,
        ForkJoinPool.getCommonPoolParallelism(),
        rounds,
        ms[0][rounds / 2],
        ms[1][rounds / 2],
        ms[2][rounds / 2],
        ms[0][0],
        ms[0][rounds - 1]);
    one.shutdown();
  }
}
