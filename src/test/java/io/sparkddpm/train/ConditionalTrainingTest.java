package io.sparkddpm.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import io.sparkddpm.SparkSessionTestBase;
import io.sparkddpm.base.BadInputException;
import io.sparkddpm.checkpoint.Checkpoints;
import io.sparkddpm.cli.UsageException;
import io.sparkddpm.diffusion.SeededNoise;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TrainJob --conditional on 256 real MNIST images with the tiny UNet and 11 class embeddings. */
class ConditionalTrainingTest extends SparkSessionTestBase {
  @TempDir Path work;

  private Path conditionalConfig() throws Exception {
    Path file = work.resolve("tiny-cond.json");
    Files.writeString(file, TinyRun.tinyConfig().toBuilder().numClassEmbeds(11).build().toJson());
    return file;
  }

  private Trainer.Result train(String output, String... extra) throws Exception {
    String[] args = Arrays.copyOf(extra, extra.length + 3);
    args[extra.length] = "--conditional";
    args[extra.length + 1] = "--model-config";
    args[extra.length + 2] = conditionalConfig().toString();
    return TrainJob.train(spark, TinyRun.config(work, output, args));
  }

  @Test
  void labelDropoutIsAFunctionOfTheImageSeedAtTheRequestedRate() {
    int dropped = 0;
    int n = 20000;
    for (int image = 0; image < n; image++) {
      long seed = SeededNoise.derive(11, 3, image);
      boolean drop = GradientStep.dropsLabel(seed, 0.1);
      assertEquals(drop, GradientStep.dropsLabel(seed, 0.1), "image " + image);
      assertFalse(GradientStep.dropsLabel(seed, 0));
      assertTrue(GradientStep.dropsLabel(seed, 1));
      dropped += drop ? 1 : 0;
    }
    // Binomial(20000, 0.1): standard deviation 0.0021.
    double rate = dropped / (double) n;
    System.out.printf("label dropout 0.1: %d of %d dropped (%.4f)%n", dropped, n, rate);
    assertEquals(0.1, rate, 0.01);
  }

  @Test
  void sameSeedGivesBitwiseEqualWeightsAlsoRetriedOrPersistentAndDropoutMatters() throws Exception {
    Trainer.Result a = train("a", "--max-steps", "3", "--cond-dropout", "0.5");
    Trainer.Result retried =
        train("b", "--max-steps", "3", "--cond-dropout", "0.5", "--inject-failure-at-step", "1");
    assertArrayEquals(a.params(), retried.params());
    Trainer.Result persistent =
        train("p", "--max-steps", "3", "--cond-dropout", "0.5", "--mode", "persistent");
    assertArrayEquals(a.params(), persistent.params());
    Trainer.Result noDropout = train("c", "--max-steps", "3");
    assertFalse(Arrays.equals(a.params(), noDropout.params()), "dropout changed nothing");

    var ckpt =
        Checkpoints.read(
            new Configuration(), new org.apache.hadoop.fs.Path(a.finalCheckpoint().toString()));
    assertEquals(11, ckpt.unetConfig().numClassEmbeds());
    var options =
        JsonParser.parseString(Files.readString(work.resolve("a/final/trainer_state.json")))
            .getAsJsonObject()
            .getAsJsonObject("options");
    assertEquals("true", options.get("conditional").getAsString());
    assertEquals("0.5", options.get("cond-dropout").getAsString());
  }

  @Test
  void resumedRunEqualsAStraightRunAndMustKeepTheDropout() throws Exception {
    Trainer.Result straight = train("straight", "--max-steps", "4", "--cond-dropout", "0.2");
    train("resumed", "--max-steps", "2", "--checkpoint-every", "2", "--cond-dropout", "0.2");
    var refused =
        assertThrows(
            BadInputException.class,
            () -> train("resumed", "--max-steps", "4", "--cond-dropout", "0.3", "--resume"));
    assertTrue(refused.getMessage().contains("--cond-dropout was 0.2"), refused.getMessage());
    Trainer.Result resumed =
        train("resumed", "--max-steps", "4", "--cond-dropout", "0.2", "--resume");
    assertArrayEquals(straight.params(), resumed.params());
  }

  @Test
  void modelAndLabelsMustAgreeWithTheOptions() throws Exception {
    // --conditional with a model config without num_class_embeds: both are named.
    var noEmbedding =
        assertThrows(
            BadInputException.class,
            () ->
                TrainJob.train(
                    spark, TinyRun.config(work, "x", "--conditional", "--max-steps", "1")));
    String tiny = work.resolve("tiny-unet.json").toString();
    assertEquals(
        "--conditional needs a model with num_class_embeds = 11 (10 classes of --data + the null"
            + " class), but --model-config "
            + tiny
            + " has num_class_embeds = null",
        noEmbedding.getMessage());
    // A conditional model config without --conditional.
    String cond = conditionalConfig().toString();
    var noFlag =
        assertThrows(
            BadInputException.class,
            () ->
                TrainJob.train(
                    spark, TinyRun.config(work, "y", "--model-config", cond, "--max-steps", "1")));
    assertTrue(noFlag.getMessage().contains("pass --conditional"), noFlag.getMessage());
    var dropoutAlone =
        assertThrows(
            UsageException.class, () -> TinyRun.config(work, "z", "--cond-dropout", "0.1"));
    assertEquals("--cond-dropout needs --conditional, got 0.1", dropoutAlone.getMessage());
    assertFalse(Files.exists(work.resolve("x")) || Files.exists(work.resolve("y")));
  }
}
