package io.sparkddpm.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import io.sparkddpm.SparkSessionTestBase;
import io.sparkddpm.base.BadInputException;
import io.sparkddpm.data.MnistImage;
import io.sparkddpm.data.PixelRange;
import io.sparkddpm.diffusion.DdpmScheduler;
import io.sparkddpm.diffusion.SchedulerConfig;
import io.sparkddpm.model.ParamLayout;
import io.sparkddpm.model.UNet2DModel;
import io.sparkddpm.model.UNetWeights;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --gradient-accumulation-steps} on local[2] with the tiny UNet: two micro-batches of 16
 * images give the step of one batch of 32 (the same images in the same order, the same noise) up to
 * float rounding, and an accumulating run is bitwise reproducible in both modes, through a retried
 * task and a resume, with diffusers' EMA.
 */
class GradientAccumulationTest extends SparkSessionTestBase {
  @TempDir Path work;

  /**
   * Summing micro-batches' gradients rounds differently from one pass over all images (other
   * reduction shapes in libtorch's kernels): measured 6.8e-7 relative L2 difference of a step's
   * gradient (4 micro-batches of 8 against 32 images).
   */
  private static final double GRADIENT_RELATIVE = 1e-5;

  /**
   * Adam divides by the root of the second moment, so a parameter whose gradient is near zero moves
   * by up to lr either way on a rounding difference: after 3 steps at lr 1e-3 measured 1.3e-5 at
   * most (1.3% of one step's lr) and 4e-5 relative L2 difference of the weights' change.
   */
  private static final double WEIGHT_ABSOLUTE = 1e-4;

  private static final double UPDATE_RELATIVE = 1e-3;

  private Trainer.Result train(String output, String... extra) throws Exception {
    String[] base = {"--limit", "64", "--max-steps", "3"};
    String[] args = java.util.Arrays.copyOf(base, base.length + extra.length);
    System.arraycopy(extra, 0, args, base.length, extra.length);
    return TrainJob.train(spark, TinyRun.config(work, output, args));
  }

  @Test
  void twoMicroBatchesOfSixteenEqualOneBatchOfThirtyTwo() throws Exception {
    Trainer.Result large = train("large", "--batch-size", "32");
    Trainer.Result accumulated =
        train("accumulated", "--batch-size", "16", "--gradient-accumulation-steps", "2");
    var shapes = new UNet2DModel(TinyRun.tinyConfig());
    float[] init = new ParamLayout(shapes).flatten(UNetWeights.torchDefaultInit(shapes, 11));
    double maxDiff = 0;
    double diff = 0;
    double update = 0;
    for (int i = 0; i < init.length; i++) {
      double d = large.params()[i] - accumulated.params()[i];
      maxDiff = Math.max(maxDiff, Math.abs(d));
      diff += d * d;
      update += Math.pow(large.params()[i] - init[i], 2);
    }
    double relative = Math.sqrt(diff / update);
    System.out.printf(
        "accumulated vs large batch: max weight difference %.3g, update relative L2 %.3g%n",
        maxDiff, relative);
    assertTrue(maxDiff <= WEIGHT_ABSOLUTE, "max weight difference " + maxDiff);
    assertTrue(relative <= UPDATE_RELATIVE, "relative difference of the update " + relative);
    assertTrue(maxDiff > 0, "summed in another order, the weights cannot be bitwise equal");
    List<String> a = Files.readAllLines(work.resolve("large/metrics.jsonl"));
    List<String> b = Files.readAllLines(work.resolve("accumulated/metrics.jsonl"));
    assertEquals(3, b.size(), "three optimizer steps, not six micro-batches");
    for (int k = 0; k < a.size(); k++) {
      double la = JsonParser.parseString(a.get(k)).getAsJsonObject().get("loss").getAsDouble();
      double lb = JsonParser.parseString(b.get(k)).getAsJsonObject().get("loss").getAsDouble();
      assertEquals(la, lb, 1e-6 * la, "loss of step " + (k + 1));
    }
    // --limit 64 at 32 images a step: step 3 is the first of epoch 2, in both runs
    assertEquals(1, JsonParser.parseString(b.get(2)).getAsJsonObject().get("epoch").getAsInt());
  }

  @Test
  void microBatchGradientsSumToTheLargeBatchGradient() {
    // 48 random images in two round-robin shards; a batch of 32 of them in a shuffled order
    java.util.Random r = new java.util.Random(5);
    List<List<MnistImage>> parts = List.of(new ArrayList<>(), new ArrayList<>());
    for (int i = 0; i < 48; i++) {
      byte[] px = new byte[MnistImage.PIXELS];
      r.nextBytes(px);
      parts.get(i % 2).add(new MnistImage(i, i % 10, px));
    }
    List<Shard> shards =
        List.of(Shard.of(parts.get(0).iterator()), Shard.of(parts.get(1).iterator()));
    long[] batch = java.util.Arrays.copyOf(Trainer.permutation(48, 11, 0), 32);
    var model = new UNet2DModel(TinyRun.tinyConfig());
    float[] weights = new ParamLayout(model).flatten(UNetWeights.torchDefaultInit(model, 3));
    float[] abar = new DdpmScheduler(SchedulerConfig.ddpm()).alphasCumprod();
    LocalGradients source = new LocalGradients(shards, TinyRun.tinyConfig());
    int[] micro = {32, 8, 8};
    AllReduce.Mean[] means = new AllReduce.Mean[micro.length];
    for (int k = 0; k < micro.length; k++) {
      StepPlan plan =
          new StepPlan(2, 0, batch, 11, abar, PixelRange.MINUS_ONE_TO_ONE, false, micro[k]);
      means[k] = AllReduce.mean(source.compute(plan, weights), weights.length);
      assertEquals(32, means[k].count());
    }
    double sq = 0;
    double diff = 0;
    for (int i = 0; i < weights.length; i++) {
      sq += (double) means[0].grad()[i] * means[0].grad()[i];
      diff += Math.pow((double) means[0].grad()[i] - means[1].grad()[i], 2);
    }
    double relative = Math.sqrt(diff / sq);
    System.out.printf(
        "4 micro-batches of 8 vs one pass of 32: gradient relative L2 %.3g, loss %.9g vs %.9g%n",
        relative, means[1].loss(), means[0].loss());
    assertTrue(relative < GRADIENT_RELATIVE && relative > 0, "relative L2 " + relative);
    assertEquals(means[0].loss(), means[1].loss(), 1e-6 * means[0].loss());
    assertArrayEquals(means[1].grad(), means[2].grad(), "micro-batched step computed twice");
  }

  @Test
  void accumulatingRunIsBitwiseAcrossModesARetriedTaskAndAResume() throws Exception {
    String[] recipe = {
      "--batch-size", "8", "--gradient-accumulation-steps", "3", "--use-ema", "--max-steps", "4"
    };
    Trainer.Result perStep = train("per-step", concat(recipe, "--mode", "per-step"));
    Trainer.Result retried =
        train("retried", concat(recipe, "--mode", "per-step", "--inject-failure-at-step", "1"));
    Trainer.Result persistent = train("persistent", concat(recipe, "--mode", "persistent"));
    train("resumed", concat(recipe, "--checkpoint-every", "2", "--max-steps", "3"));
    deleteTree(work.resolve("resumed/final")); // killed after checkpoint-2
    Trainer.Result resumed = train("resumed", concat(recipe, "--resume"));
    assertEquals(2, resumed.steps(), "resumed at step 2");
    for (String run : List.of("retried", "persistent", "resumed")) {
      Trainer.Result r =
          switch (run) {
            case "retried" -> retried;
            case "persistent" -> persistent;
            default -> resumed;
          };
      assertArrayEquals(perStep.params(), r.params(), run + " weights");
      assertArrayEquals(emaBytes("per-step"), emaBytes(run), run + " EMA weights");
    }
    // 4 steps of 24 images from 64: epoch 1 is 3 steps (24, 24, 16 images), step 4 starts epoch 2
    List<String> lines = Files.readAllLines(work.resolve("per-step/metrics.jsonl"));
    assertEquals(1, JsonParser.parseString(lines.get(3)).getAsJsonObject().get("epoch").getAsInt());
  }

  @Test
  void resumeWithOtherAccumulationOrEmaIsRefused() throws Exception {
    train("run", "--batch-size", "16", "--gradient-accumulation-steps", "2", "--max-steps", "1");
    String[][] changes = {
      {"--gradient-accumulation-steps", "1", "--gradient-accumulation-steps was 2"},
      {"--use-ema", null, "--use-ema was false"},
    };
    for (String[] c : changes) {
      String[] args =
          c[1] == null
              ? new String[] {"--batch-size", "16", "--gradient-accumulation-steps", "2", c[0]}
              : new String[] {"--batch-size", "16", c[0], c[1]};
      BadInputException e =
          org.junit.jupiter.api.Assertions.assertThrows(
              BadInputException.class, () -> train("run", concat(args, "--resume")));
      assertTrue(e.getMessage().contains(c[2]), e.getMessage());
    }
  }

  private byte[] emaBytes(String run) throws Exception {
    return Files.readAllBytes(
        work.resolve(run + "/final/unet_ema/diffusion_pytorch_model.safetensors"));
  }

  private static String[] concat(String[] a, String... b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private static void deleteTree(Path dir) throws Exception {
    try (var files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
