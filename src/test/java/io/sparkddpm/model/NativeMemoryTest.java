package io.sparkddpm.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.sparkddpm.train.GradientStep;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A training step leaks nothing: over 200 forward/backward steps of a small UNet, the process's
 * resident memory (libtorch allocates outside the Java heap) and the number of live NDArrays in the
 * model's manager stay flat after warm-up.
 */
class NativeMemoryTest {

  @Test
  void forwardBackwardStepsKeepNativeMemoryFlat() throws IOException {
    UNetConfig small =
        UNetConfig.builder()
            .sampleSize(16)
            .inChannels(1)
            .outChannels(1)
            .layersPerBlock(1)
            .blockOutChannels(16, 32)
            .downBlockTypes("DownBlock2D", "AttnDownBlock2D")
            .upBlockTypes("AttnUpBlock2D", "UpBlock2D")
            .normNumGroups(8)
            .build();
    try (NDManager manager = NDManager.newBaseManager()) {
      UNet2DModel model = new UNet2DModel(small);
      model.initialize(manager);
      UNetWeights.load(model, UNetWeights.torchDefaultInit(model, 1), "init");
      int n = 8;
      Random r = new Random(2);
      float[] x = new float[n * 256];
      float[] eps = new float[n * 256];
      float[] t = new float[n];
      for (int i = 0; i < x.length; i++) {
        x[i] = (float) r.nextGaussian();
        eps[i] = (float) r.nextGaussian();
      }
      long rssAfterWarmup = 0;
      int arraysAfterWarmup = 0;
      for (int step = 0; step < 200; step++) {
        t[step % n] = step % 1000;
        GradientStep.backwardForBenchmark(model, manager, Device.cpu(), x, eps, t, n);
        if (step == 49) {
          System.gc();
          rssAfterWarmup = rssKiB();
          arraysAfterWarmup = manager.getManagedArrays().size();
        }
      }
      System.gc();
      long grown = rssKiB() - rssAfterWarmup;
      int arrays = manager.getManagedArrays().size();
      System.out.printf(
          "after 150 more steps: RSS %+d KiB, model-manager arrays %d -> %d%n",
          grown, arraysAfterWarmup, arrays);
      assertTrue(
          arrays == arraysAfterWarmup,
          "arrays leak into the model's manager: " + arraysAfterWarmup + " -> " + arrays);
      // One step's activations are about 3 MB: keeping them each step would add 450 MB.
      assertTrue(grown < 20 * 1024, "resident memory grew by " + grown + " KiB");
    }
  }

  private static long rssKiB() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("\\D", ""));
      }
    }
    throw new IllegalStateException("no VmRSS in /proc/self/status");
  }
}
