package io.sparkddpm.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.sparkddpm.SparkSessionTestBase;
import io.sparkddpm.base.BadInputException;
import io.sparkddpm.checkpoint.Checkpoints;
import io.sparkddpm.data.PixelRange;
import io.sparkddpm.diffusion.DdpmScheduler;
import io.sparkddpm.diffusion.SchedulerConfig;
import io.sparkddpm.model.UNet2DModel;
import io.sparkddpm.model.UNetWeights;
import java.nio.file.Path;
import java.util.stream.LongStream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code submit/heldout-loss.sh}'s figure on a tiny two-step checkpoint equals the loss a training
 * step computes ({@link GradientStep#compute}) on the same test images for step 0 of the same seed:
 * the same t, noise and objective. The two differ only in float rounding (the training forward
 * takes the fused GroupNorm, the held-out one the composed): measured relative difference 1e-7.
 */
class HeldOutLossTest extends SparkSessionTestBase {
  @TempDir Path work;

  private static HeldOutLoss.Config config(String... args) {
    return HeldOutLoss.OPTIONS.parse(args);
  }

  @Test
  void heldOutLossEqualsTheTrainingObjectiveOnTheSameImagesAndDraws() throws Exception {
    org.apache.hadoop.fs.Path ckpt =
        TrainJob.train(spark, TinyRun.config(work, "run", "--max-steps", "2")).finalCheckpoint();
    String data = TinyRun.mnist().toString();
    Configuration conf = new Configuration();
    String[] base = {"--model", ckpt.toString(), "--data", data, "--images", "60", "--seed", "5"};
    // batches of 25 split the images 25 + 25 + 10: the figure is per image, not per batch
    HeldOutLoss.Result held = HeldOutLoss.compute(config(concat(base, "--batch-size", "25")), conf);
    assertEquals(2, held.step());

    Shard images = HeldOutLoss.testImages(conf, data, 60);
    Checkpoints.Contents c = Checkpoints.read(conf, ckpt);
    StepPlan plan =
        new StepPlan(
            0,
            0,
            LongStream.range(0, 60).toArray(),
            5,
            new DdpmScheduler(SchedulerConfig.ddpm()).alphasCumprod(),
            PixelRange.MINUS_ONE_TO_ONE,
            false);
    double direct;
    try (NDManager manager = NDManager.newBaseManager()) {
      UNet2DModel model = new UNet2DModel(c.unetConfig());
      model.initialize(manager);
      UNetWeights.load(model, c.unet(), ckpt.toString());
      GradientStep.Partial p = GradientStep.compute(model, manager, Device.cpu(), images, plan);
      direct = p.lossSum() / p.count();
    }
    System.out.printf(
        "held-out loss %.7f, training step's loss on the same draws %.7f%n",
        held.meanLoss(), direct);
    assertEquals(direct, held.meanLoss(), 1e-5 * direct);

    HeldOutLoss.Result otherSeed =
        HeldOutLoss.compute(
            config("--model", ckpt.toString(), "--data", data, "--images", "60"), conf);
    assertNotEquals(held.meanLoss(), otherSeed.meanLoss(), "the seed draws t and noise");
    HeldOutLoss.Result bf16 =
        HeldOutLoss.compute(config(concat(base, "--precision", "bf16")), conf);
    double relative = Math.abs(bf16.meanLoss() - held.meanLoss()) / held.meanLoss();
    System.out.printf("held-out loss bf16 %.7f (relative %.2e)%n", bf16.meanLoss(), relative);
    assertTrue(relative > 0 && relative < 0.01, "bf16 forward vs fp32: " + relative);

    var noImages =
        assertThrows(
            BadInputException.class,
            () ->
                HeldOutLoss.compute(
                    config("--model", ckpt.toString(), "--data", work.toString()), conf));
    assertEquals(
        "--data " + work + ": no t10k-images-idx3-ubyte (or .gz) in it", noImages.getMessage());
  }

  private static String[] concat(String[] a, String... b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
