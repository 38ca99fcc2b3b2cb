package io.sparkddpm.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.sparkddpm.SparkSessionTestBase;
import io.sparkddpm.base.BadInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The training recipe on local[2] with the tiny UNet: the learning-rate schedule drives the steps
 * and metrics.jsonl, AdamW with its constants resumes bitwise, and a resumed run refuses a changed
 * recipe naming the option.
 */
class RecipeTest extends SparkSessionTestBase {
  @TempDir Path work;

  /** A cosine schedule with warm-up and AdamW with every constant changed from torch's defaults. */
  private static final String[] RECIPE = {
    "--max-steps", "6",
    "--lr-scheduler", "cosine",
    "--lr-warmup-steps", "2",
    "--adam-beta1", "0.95",
    "--adam-beta2", "0.99",
    "--adam-weight-decay", "0.01",
    "--adam-epsilon", "1e-6"
  };

  private Trainer.Result train(String output, String... extra) throws Exception {
    String[] args = new String[RECIPE.length + extra.length];
    System.arraycopy(RECIPE, 0, args, 0, RECIPE.length);
    System.arraycopy(extra, 0, args, RECIPE.length, extra.length);
    return TrainJob.train(spark, TinyRun.config(work, output, args));
  }

  @Test
  void scheduleSetsEachStepsLrAndAResumedAdamWRunEqualsAnUninterruptedOne() throws Exception {
    Trainer.Result straight = train("straight");
    LrSchedule cosine = new LrSchedule(LrSchedule.Kind.COSINE, 1e-3, 2, 6, 1, 1);
    List<String> lines = Files.readAllLines(work.resolve("straight/metrics.jsonl"));
    assertEquals(6, lines.size());
    for (int k = 0; k < 6; k++) {
      double lr = JsonParser.parseString(lines.get(k)).getAsJsonObject().get("lr").getAsDouble();
      assertEquals(cosine.at(k), lr, 0.0, "lr of step " + (k + 1));
    }
    assertEquals(0.0, cosine.at(0)); // warm-up starts at 0, as diffusers' does
    assertEquals(1e-3, cosine.at(2), 1e-18);

    // Stopped after the checkpoint at step 3, as if killed before the end.
    train("resumed", "--checkpoint-every", "3");
    deleteTree(work.resolve("resumed/final"));
    Trainer.Result resumed = train("resumed", "--checkpoint-every", "3", "--resume");
    assertEquals(3, resumed.steps(), "resumed at step 3");
    assertArrayEquals(straight.params(), resumed.params());

    JsonObject options =
        JsonParser.parseString(Files.readString(work.resolve("straight/final/trainer_state.json")))
            .getAsJsonObject()
            .getAsJsonObject("options");
    assertEquals("cosine", options.get("lr-scheduler").getAsString());
    assertEquals("0.01", options.get("adam-weight-decay").getAsString());
  }

  @Test
  void weightDecayChangesTheWeights() throws Exception {
    Trainer.Result decayed = train("decayed", "--max-steps", "2");
    Trainer.Result plain = train("plain", "--max-steps", "2", "--adam-weight-decay", "0");
    int differing = 0;
    for (int i = 0; i < plain.params().length; i++) {
      differing += decayed.params()[i] != plain.params()[i] ? 1 : 0;
    }
    assertTrue(differing > plain.params().length / 2, differing + " weights differ");
  }

  @Test
  void resumeWithAChangedRecipeIsRefusedNamingTheOptionAndWritesNothing() throws Exception {
    train("run", "--checkpoint-every", "3");
    String[][] changes = {
      {"--lr-scheduler", "linear", "--lr-scheduler was cosine"},
      {"--lr-warmup-steps", "3", "--lr-warmup-steps was 2"},
      {"--lr", "2e-3", "--lr was 1e-3"},
      {"--adam-beta1", "0.9", "--adam-beta1 was 0.95"},
      {"--adam-beta2", "0.999", "--adam-beta2 was 0.99"},
      {"--adam-weight-decay", "0.02", "--adam-weight-decay was 0.01"},
      {"--adam-epsilon", "1e-8", "--adam-epsilon was 1e-6"},
      {"--prediction-type", "v_prediction", "--prediction-type was epsilon"},
      {"--beta-schedule", "scaled_linear", "--beta-schedule was linear"},
      {"--beta-start", "2e-4", "--beta-start was 1e-4"},
      {"--beta-end", "0.012", "--beta-end was 0.02"},
      {"--num-train-timesteps", "500", "--num-train-timesteps was 1000"},
      {"--max-steps", "8", "was 6 steps long"},
    };
    List<String> before = listing(work.resolve("run"));
    for (String[] c : changes) {
      BadInputException e =
          assertThrows(BadInputException.class, () -> train("run", "--resume", c[0], c[1]));
      assertTrue(e.getMessage().contains(c[2]), e.getMessage());
      assertTrue(e.getMessage().contains(work.resolve("run/final").toString()), e.getMessage());
    }
    assertEquals(before, listing(work.resolve("run")));
    // The same numbers written differently are the same recipe: resuming the finished run works.
    assertEquals(0, train("run", "--resume", "--lr", "0.001", "--adam-epsilon", "1e-06").steps());
  }

  @Test
  void unknownScheduleAndOutOfRangeAdamConstantsAreUsageErrors() {
    String[][] bad = {
      {"--lr-scheduler", "exponential", "--lr-scheduler: expected constant"},
      {"--adam-beta1", "1", "--adam-beta1 must be in [0, 1)"},
      {"--adam-beta2", "-0.1", "--adam-beta2 must be in [0, 1)"},
      {"--adam-weight-decay", "-1", "--adam-weight-decay must be >= 0"},
      {"--adam-epsilon", "NaN", "--adam-epsilon: expected a finite number"},
      {"--adam-epsilon", "-1e-8", "--adam-epsilon must be >= 0"},
      {"--lr-warmup-steps", "-1", "--lr-warmup-steps must be >= 0"},
      {"--lr-num-cycles", "0", "--lr-num-cycles must be >= 1"},
      {"--prediction-type", "flow", "--prediction-type: expected epsilon"},
      {"--beta-schedule", "sigmoid", "--beta-schedule: expected linear"},
      {"--beta-start", "0", "--beta-start must be in (0, 1)"},
      {"--num-train-timesteps", "1", "--num-train-timesteps must be in 2..100000"},
      {"--beta-end", "1e-5", "--beta-start must not exceed --beta-end"},
    };
    for (String[] c : bad) {
      BadInputException e =
          assertThrows(BadInputException.class, () -> TinyRun.config(work, "x", c[0], c[1]));
      assertTrue(e.getMessage().contains(c[2]), e.getMessage());
    }
    BadInputException e =
        assertThrows(
            BadInputException.class,
            () -> TinyRun.config(work, "x", "--lr-scheduler", "polynomial", "--lr", "1e-8"));
    assertTrue(e.getMessage().contains("--lr must be above"), e.getMessage());
    assertFalse(Files.exists(work.resolve("x")));
  }

  @Test
  void defaultsAreTheTutorialsConstantLrAndTorchsAdam() throws Exception {
    TrainConfig cfg = TinyRun.config(work, "x");
    assertEquals(LrSchedule.Kind.CONSTANT, cfg.lrScheduler());
    assertEquals(0, cfg.lrWarmupSteps());
    assertEquals(Adam.Hyper.TORCH_ADAM, cfg.adam());
    assertNotEquals(Adam.Hyper.TORCH_ADAM, TinyRun.config(work, "x", RECIPE).adam());
  }

  private static List<String> listing(Path dir) throws Exception {
    try (var files = Files.walk(dir)) {
      return files.map(p -> dir.relativize(p) + " " + p.toFile().length()).sorted().toList();
    }
  }

  private static void deleteTree(Path dir) throws Exception {
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
