package io.sparkddpm.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.sparkddpm.model.ParamLayout;
import io.sparkddpm.model.UNet2DModel;
import io.sparkddpm.model.UNetConfig;
import io.sparkddpm.model.UNetWeights;
import io.sparkddpm.train.GradientStep;
import io.sparkddpm.train.StepInputs;

/**
 * Forward+backward time of the tutorial UNet at a batch size, in this JVM, and libtorch's native
 * memory over the run (RSS). Prints figures; asserts nothing.
 *
 * <p>Usage: {@code StepBenchmark [batch=128] [steps=10] [threads=cores]}
 */
public final class StepBenchmark {
  private StepBenchmark() {}

  public static void main(String[] args) throws Exception {
    int batch = args.length > 0 ? Integer.parseInt(args[0]) : 128;
    int steps = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    if (args.length > 2) {
      System.setProperty("ai.djl.pytorch.num_threads", args[2]);
    }
    UNet2DModel model = new UNet2DModel(UNetConfig.tutorial());
    try (NDManager manager = NDManager.newBaseManager()) {
      model.initialize(manager);
      UNetWeights.load(model, UNetWeights.torchDefaultInit(model, 0), "init");
      ParamLayout layout = new ParamLayout(model);
      StepInputs in = StepInputs.random(batch, 1);
      float[] x = in.x();
      float[] eps = in.eps();
      float[] t = in.t();
      System.out.printf(
          "tutorial UNet (%d parameters), batch %d, intra-op threads %s%n",
          layout.size(), batch, System.getProperty("ai.djl.pytorch.num_threads", "default"));
      for (int s = 0; s < steps + 2; s++) {
        long t0 = System.nanoTime();
        GradientStep.Partial p =
            GradientStep.backwardForBenchmark(model, manager, Device.cpu(), x, eps, t, batch);
        double ms = (System.nanoTime() - t0) / 1e6;
        System.out.printf(
            "%s step %2d: %7.1f ms  (%.1f images/s)  loss %.4f  rss %d MiB%n",
            s < 2 ? "warm-up" : "timed  ", s, ms, batch / ms * 1000, p.lossSum() / batch, rssMiB());
      }
    }
  }

  static long rssMiB() throws java.io.IOException {
    for (String line :
        java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
      }
    }
    return -1;
  }
}
