package io.sparkddpm.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkddpm.SparkSessionTestBase;
import io.sparkddpm.base.BadInputException;
import io.sparkddpm.model.UNetConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run asked to stop between steps (what the driver's SIGTERM hook does) and a run resumed onto
 * training files that changed since its checkpoint.
 */
class InterruptedRunTest extends SparkSessionTestBase {
  private static final UNetConfig TINY = TinyRun.tinyConfig();
  @TempDir Path work;

  private Trainer.Result trainLocally(TrainConfig cfg, AtomicInteger begun, int stopAt)
      throws Exception {
    List<Shard> shards = Shards.load(spark, cfg.data(), 2, cfg.limit()).collect();
    return new Trainer(cfg, TINY, spark.sparkContext().hadoopConfiguration(), Map.of())
        .train(
            new LocalGradients(shards, TINY),
            label -> begun.incrementAndGet(),
            () -> begun.get() >= stopAt);
  }

  @Test
  void stopRequestedBetweenStepsCheckpointsTheLastStepAndResumesToTheSameWeights()
      throws Exception {
    String[] six = {"--max-steps", "6", "--ema-decay", "0.9", "--checkpoint-every", "2"};
    Trainer.Result straight =
        trainLocally(TinyRun.config(work, "straight", six), new AtomicInteger(), 99);

    AtomicInteger begun = new AtomicInteger();
    Trainer.Result stopped = trainLocally(TinyRun.config(work, "run", six), begun, 3);
    assertTrue(stopped.stopped());
    assertEquals(3, stopped.steps(), "the steps begun before the request are finished");
    assertEquals("checkpoint-3", stopped.finalCheckpoint().getName());
    Path run = work.resolve("run");
    assertEquals(List.of("checkpoint-2", "checkpoint-3"), checkpoints(run));
    assertFalse(Files.exists(run.resolve("final")));
    assertEquals(3, Files.readAllLines(run.resolve("metrics.jsonl")).size());

    // Asked again right away (a second signal after a resume): nothing new to write.
    AtomicInteger none = new AtomicInteger();
    Trainer.Result idle =
        trainLocally(TinyRun.config(work, "run", concat(six, "--resume")), none, 0);
    assertTrue(idle.stopped());
    assertEquals(0, idle.steps());
    assertEquals("checkpoint-3", idle.finalCheckpoint().getName());

    Trainer.Result resumed =
        trainLocally(TinyRun.config(work, "run", concat(six, "--resume")), new AtomicInteger(), 99);
    assertFalse(resumed.stopped());
    assertEquals(3, resumed.steps());
    assertArrayEquals(straight.params(), resumed.params(), "resumed weights differ");
    assertArrayEquals(
        Files.readAllBytes(
            work.resolve("straight/final/unet_ema/diffusion_pytorch_model.safetensors")),
        Files.readAllBytes(run.resolve("final/unet_ema/diffusion_pytorch_model.safetensors")));
  }

  @Test
  void resumeOntoChangedDataIsRefusedNamingTheFileUnlessAllowed() throws Exception {
    Path data = Files.createDirectories(work.resolve("mnist"));
    for (String f : List.of("train-images-idx3-ubyte", "train-labels-idx1-ubyte")) {
      Files.copy(TinyRun.mnist().resolve(f), data.resolve(f));
    }
    String[] args = {"--data", data.toString(), "--max-steps", "2", "--checkpoint-every", "1"};
    TrainJob.train(spark, TinyRun.config(work, "run", args));
    Path run = work.resolve("run");
    String state = Files.readString(run.resolve("final/trainer_state.json"));
    assertTrue(state.contains("train-images-idx3-ubyte"), state);

    // The same files: resumes (and ends at once: final/ is at --max-steps).
    TrainJob.train(spark, TinyRun.config(work, "run", concat(args, "--resume")));

    Path images = data.resolve("train-images-idx3-ubyte");
    Files.setLastModifiedTime(
        images, FileTime.fromMillis(Files.getLastModifiedTime(images).toMillis() + 60_000));
    List<String> before = names(run);
    String[] more = concat(args, "--max-steps", "3", "--auto-resume");
    BadInputException e =
        assertThrows(
            BadInputException.class,
            () -> TrainJob.train(spark, TinyRun.config(work, "run", more)));
    System.out.println("refused: " + e.getMessage());
    assertTrue(e.getMessage().contains(images.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("--allow-data-change"), e.getMessage());
    assertEquals(before, names(run), "nothing is written when refusing");

    Trainer.Result allowed =
        TrainJob.train(spark, TinyRun.config(work, "run", concat(more, "--allow-data-change")));
    assertEquals(1, allowed.steps());
  }

  private static String[] concat(String[] a, String... b) {
    return Stream.concat(Stream.of(a), Stream.of(b)).toArray(String[]::new);
  }

  private static List<String> checkpoints(Path run) throws Exception {
    return names(run).stream().filter(n -> n.startsWith("checkpoint-")).toList();
  }

  private static List<String> names(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
