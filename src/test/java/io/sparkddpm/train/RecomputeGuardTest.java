package io.sparkddpm.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonParser;
import io.sparkddpm.SparkSessionTestBase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Trainer's defence against a transient non-finite step: a step whose first computation is
 * poisoned ({@code --inject-nan-at-step}) is computed again, counted in metrics.jsonl, and the run
 * ends with exactly the weights of a run without the fault.
 */
class RecomputeGuardTest extends SparkSessionTestBase {
  @TempDir Path work;

  private Trainer.Result train(String output, String... extra) throws Exception {
    return TrainJob.train(spark, TinyRun.config(work, output, extra));
  }

  private List<Long> recomputed(String output) throws Exception {
    return Files.readAllLines(work.resolve(output).resolve("metrics.jsonl")).stream()
        .map(l -> JsonParser.parseString(l).getAsJsonObject().get("recomputed_steps").getAsLong())
        .toList();
  }

  @Test
  void poisonedStepIsComputedAgainCountedAndLeavesTheWeightsExact() throws Exception {
    Trainer.Result clean = train("clean", "--max-steps", "3");
    Trainer.Result guarded = train("guarded", "--max-steps", "3", "--inject-nan-at-step", "1");

    assertEquals(List.of(0L, 0L, 0L), recomputed("clean"));
    assertEquals(List.of(0L, 1L, 1L), recomputed("guarded"), "the second step was recomputed");
    assertArrayEquals(clean.params(), guarded.params(), "the recomputed step is exact");

    // The count is the run's: a resumed run continues it.
    train("guarded", "--max-steps", "4", "--resume");
    assertEquals(List.of(0L, 1L, 1L, 1L), recomputed("guarded"));
  }
}
