package io.sparkddpm.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkddpm.SparkSessionTestBase;
import io.sparkddpm.base.BadInputException;
import io.sparkddpm.sample.SampleConfig;
import io.sparkddpm.sample.SampleJob;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where {@code --use-ema}'s weights go on local[2] with the tiny UNet: they leave training itself
 * untouched, are saved as {@code unet_ema/}, draw the epoch grids, and are what SampleJob's {@code
 * --ema} samples (refused, writing nothing, on a checkpoint without them).
 */
class EmaWeightsTest extends SparkSessionTestBase {
  @TempDir Path work;

  private static final String[] RUN = {
    "--limit", "64", "--max-steps", "3", "--sample-every-epoch", "4", "--sample-steps", "5"
  };

  private Trainer.Result train(String output, String... extra) throws Exception {
    String[] args = Arrays.copyOf(RUN, RUN.length + extra.length);
    System.arraycopy(extra, 0, args, RUN.length, extra.length);
    return TrainJob.train(spark, TinyRun.config(work, output, args));
  }

  private Path sample(String checkpoint, String output, String... extra) throws Exception {
    String[] base = {
      "--model",
      work.resolve(checkpoint).toString(),
      "--output",
      work.resolve(output).toString(),
      "--steps",
      "5",
      "--num-images",
      "4"
    };
    String[] args = Arrays.copyOf(base, base.length + extra.length);
    System.arraycopy(extra, 0, args, base.length, extra.length);
    SampleJob.sample(spark, SampleConfig.parse(args));
    return work.resolve(output);
  }

  @Test
  void emaWeightsAreSavedDrawTheEpochGridsAndAreSampledWithEma() throws Exception {
    Trainer.Result ema = train("ema", "--use-ema");
    Trainer.Result raw = train("raw");
    assertArrayEquals(raw.params(), ema.params(), "the EMA must not change training");
    String weights = "diffusion_pytorch_model.safetensors";
    assertFalse(Files.exists(work.resolve("raw/final/unet_ema")));
    assertFalse(
        Arrays.equals(
            Files.readAllBytes(work.resolve("ema/final/unet/" + weights)),
            Files.readAllBytes(work.resolve("ema/final/unet_ema/" + weights))),
        "after 3 updates the average is not the weights");
    // epoch 2 holds step 3 (64 images at 32 a step): its grid is drawn by the EMA weights
    assertFalse(
        Arrays.equals(
            Files.readAllBytes(work.resolve("raw/samples/epoch-002.png")),
            Files.readAllBytes(work.resolve("ema/samples/epoch-002.png"))));

    Path plain = sample("ema/final", "plain");
    Path averaged = sample("ema/final", "averaged", "--ema");
    Path rawPlain = sample("raw/final", "raw-plain");
    assertArrayEquals(
        Files.readAllBytes(rawPlain.resolve("grid.png")),
        Files.readAllBytes(plain.resolve("grid.png")),
        "without --ema: unet/, the same weights in both runs");
    assertFalse(
        Arrays.equals(
            Files.readAllBytes(plain.resolve("grid.png")),
            Files.readAllBytes(averaged.resolve("grid.png"))));

    BadInputException e =
        assertThrows(BadInputException.class, () -> sample("raw/final", "none", "--ema"));
    assertTrue(
        e.getMessage().contains("--ema") && e.getMessage().contains("unet_ema/"), e.getMessage());
    assertFalse(Files.exists(work.resolve("none")));
  }
}
