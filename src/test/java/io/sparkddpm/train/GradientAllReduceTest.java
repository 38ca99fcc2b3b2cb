package io.sparkddpm.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.pytorch.jni.JniUtils;
import io.sparkddpm.SparkSessionTestBase;
import io.sparkddpm.data.MnistImage;
import io.sparkddpm.data.PixelRange;
import io.sparkddpm.diffusion.DdpmScheduler;
import io.sparkddpm.diffusion.SchedulerConfig;
import io.sparkddpm.model.ParamLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;

/**
 * The all-reduce over shards gives one process's gradient: P = 1, 2 and 4 shards of the same 24
 * images, and the same step computed by Spark tasks.
 */
class GradientAllReduceTest extends SparkSessionTestBase {
  private static final int IMAGES = 24;

  private static List<MnistImage> images() {
    Random r = new Random(5);
    List<MnistImage> out = new ArrayList<>();
    for (int i = 0; i < IMAGES; i++) {
      byte[] px = new byte[MnistImage.PIXELS];
      r.nextBytes(px);
      out.add(new MnistImage(i, i % 10, px));
    }
    return out;
  }

  /** Round-robin split into {@code p} shards. */
  private static List<Shard> shards(int p) {
    List<List<MnistImage>> parts = new ArrayList<>();
    for (int i = 0; i < p; i++) {
      parts.add(new ArrayList<>());
    }
    for (MnistImage img : images()) {
      parts.get((int) (img.index() % p)).add(img);
    }
    List<Shard> out = new ArrayList<>();
    for (List<MnistImage> part : parts) {
      out.add(Shard.of(part.iterator()));
    }
    return out;
  }

  private static StepPlan plan() {
    long[] batch = {3, 17, 0, 22, 9, 10, 5, 14, 1, 20, 7, 12};
    float[] abar = new DdpmScheduler(SchedulerConfig.ddpm()).alphasCumprod();
    return new StepPlan(4, 0, batch, 99, abar, PixelRange.MINUS_ONE_TO_ONE, false);
  }

  private static float[] weights() {
    var model = new io.sparkddpm.model.UNet2DModel(TinyRun.tinyConfig());
    return new ParamLayout(model)
        .flatten(io.sparkddpm.model.UNetWeights.torchDefaultInit(model, 3));
  }

  @Test
  void summedGradientOfOneTwoAndFourShardsEqualsOneProcess() {
    float[] w = weights();
    AllReduce.Mean one =
        AllReduce.mean(
            new LocalGradients(shards(1), TinyRun.tinyConfig()).compute(plan(), w), w.length);
    assertEquals(12, one.count());
    for (int p : new int[] {2, 4}) {
      AllReduce.Mean many =
          AllReduce.mean(
              new LocalGradients(shards(p), TinyRun.tinyConfig()).compute(plan(), w), w.length);
      assertEquals(12, many.count());
      assertEquals(one.loss(), many.loss(), 1e-6 * one.loss(), "loss with P=" + p);
      // Per-shard batches run through convolutions of a different batch size, so float rounding
      // differs: tolerance 1e-5 of the largest gradient entry.
      double max = 0;
      double diff = 0;
      for (int i = 0; i < w.length; i++) {
        max = Math.max(max, Math.abs(one.grad()[i]));
        diff = Math.max(diff, Math.abs(one.grad()[i] - many.grad()[i]));
      }
      System.out.printf("P=%d: gradient max-abs difference %.3e of max %.3e%n", p, diff, max);
      assertTrue(diff <= 1e-5 * max, "P=" + p + ": " + diff + " vs max " + max);
    }
  }

  @Test
  void sparkTasksReturnTheSameGradientAsTheLocalComputation() {
    float[] w = weights();
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    var rdd = sc.parallelize(shards(2), 2);
    try (SparkGradients spark = new SparkGradients(sc, rdd, TinyRun.tinyConfig())) {
      assertEquals(IMAGES, spark.datasetSize());
      AllReduce.Mean viaSpark = AllReduce.mean(spark.compute(plan(), w), w.length);
      // libtorch's sums depend on its thread count; tasks run with their executor's cores, so
      // the local computation takes the same number.
      int threads =
          io.sparkddpm.executor.ExecutorModels.taskThreads(
              sc.master(),
              null,
              Integer.parseInt(sc.getConf().get("spark.task.cpus", "1")),
              Runtime.getRuntime().availableProcessors());
      int driverThreads = JniUtils.getNumThreads();
      AllReduce.Mean local;
      try {
        JniUtils.setNumThreads(threads);
        local =
            AllReduce.mean(
                new LocalGradients(shards(2), TinyRun.tinyConfig()).compute(plan(), w), w.length);
      } finally {
        JniUtils.setNumThreads(driverThreads);
      }
      assertEquals(local.loss(), viaSpark.loss());
      assertArrayEquals(local.grad(), viaSpark.grad());
    }
  }
}
