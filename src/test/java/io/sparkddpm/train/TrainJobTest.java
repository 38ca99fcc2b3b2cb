package io.sparkddpm.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import io.sparkddpm.SparkSessionTestBase;
import io.sparkddpm.base.BadInputException;
import io.sparkddpm.checkpoint.Checkpoints;
import io.sparkddpm.model.ParamLayout;
import io.sparkddpm.model.UNet2DModel;
import io.sparkddpm.model.UNetWeights;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TrainJob on local[2,4] with a tiny UNet and 256 real MNIST images. */
class TrainJobTest extends SparkSessionTestBase {
  @TempDir Path work;

  private Trainer.Result train(String output, String... extra) throws Exception {
    return TrainJob.train(spark, TinyRun.config(work, output, extra));
  }

  @Test
  void lossFallsClearlyWithinAFewDozenSteps() throws Exception {
    Trainer.Result r = train("run", "--max-steps", "40", "--lr", "3e-3");
    List<String> lines = Files.readAllLines(work.resolve("run/metrics.jsonl"));
    assertEquals(40, lines.size());
    double first = mean(lines.subList(0, 5));
    double last = mean(lines.subList(35, 40));
    System.out.printf("loss: first 5 steps %.4f, last 5 steps %.4f%n", first, last);
    assertTrue(last < 0.5 * first, "loss fell only from " + first + " to " + last);
    assertTrue(Files.size(work.resolve("run/loss.png")) > 1000);
    assertEquals(40, r.steps());
    for (String line : lines) {
      var o = com.google.gson.JsonParser.parseString(line).getAsJsonObject();
      double step = o.get("step_s").getAsDouble();
      double compute = o.get("compute_s").getAsDouble();
      double tasks = o.get("tasks_s").getAsDouble();
      double update = o.get("update_s").getAsDouble();
      // The slowest task's computation is part of the step, and not nothing; two tasks add up.
      assertTrue(compute > 0 && compute <= step && compute < tasks, line);
      // The driver's update (sum, Adam) follows the tasks, inside the same step.
      assertTrue(update > 0 && update + compute <= step + 0.001, line);
    }
  }

  private static double mean(List<String> lines) {
    return lines.stream()
        .mapToDouble(
            l ->
                com.google.gson.JsonParser.parseString(l)
                    .getAsJsonObject()
                    .get("loss")
                    .getAsDouble())
        .average()
        .orElseThrow();
  }

  @Test
  void retriedTaskGivesTheSameWeightsAsARunWithoutFailure() throws Exception {
    Trainer.Result clean = train("clean", "--max-steps", "3");
    java.util.concurrent.atomic.AtomicInteger failed =
        new java.util.concurrent.atomic.AtomicInteger();
    org.apache.spark.scheduler.SparkListener listener =
        new org.apache.spark.scheduler.SparkListener() {
          @Override
          public void onTaskEnd(org.apache.spark.scheduler.SparkListenerTaskEnd end) {
            if (!end.taskInfo().successful()) {
              failed.incrementAndGet();
            }
          }
        };
    spark.sparkContext().addSparkListener(listener);
    try {
      Trainer.Result retried =
          train("retried", "--max-steps", "3", "--inject-failure-at-step", "1");
      spark.sparkContext().listenerBus().waitUntilEmpty();
      assertEquals(1, failed.get(), "exactly one task attempt failed and was retried");
      assertArrayEquals(clean.params(), retried.params());
    } finally {
      spark.sparkContext().removeSparkListener(listener);
    }
  }

  @Test
  void resumedRunEqualsAnUninterruptedRunBitwise() throws Exception {
    Trainer.Result straight = train("straight", "--max-steps", "6", "--ema-decay", "0.9");
    // Stopped after step 4 with a checkpoint at step 3, as if killed: continue from checkpoint-3.
    train("resumed", "--max-steps", "4", "--checkpoint-every", "3", "--ema-decay", "0.9");
    assertTrue(Files.isDirectory(work.resolve("resumed/checkpoint-3")));
    // Killed before final/ was written: only checkpoint-3 is left to resume from.
    try (var files = Files.walk(work.resolve("resumed/final"))) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
    Trainer.Result resumed = train("resumed", "--max-steps", "6", "--ema-decay", "0.9", "--resume");
    assertEquals(3, resumed.steps(), "resumed at step 3");
    assertArrayEquals(straight.params(), resumed.params());
    var conf = new Configuration();
    var a =
        Checkpoints.read(
            conf, new org.apache.hadoop.fs.Path(work.resolve("straight/final").toString()));
    var b =
        Checkpoints.read(
            conf, new org.apache.hadoop.fs.Path(work.resolve("resumed/final").toString()));
    assertEquals(a.ema().orElseThrow(), b.ema().orElseThrow());
    assertEquals(a.optimizer().orElseThrow().tensors(), b.optimizer().orElseThrow().tensors());
    assertEquals(6, Files.readAllLines(work.resolve("resumed/metrics.jsonl")).size());
  }

  @Test
  void checkpointLoadsBackIntoTheJavaUNetWithIdenticalOutputs() throws Exception {
    Trainer.Result r = train("ckpt", "--max-steps", "2");
    var c =
        Checkpoints.read(
            new Configuration(), new org.apache.hadoop.fs.Path(r.finalCheckpoint().toString()));
    assertEquals(TinyRun.tinyConfig(), c.unetConfig());
    assertTrue(Files.exists(work.resolve("ckpt/final/model_index.json")));
    assertTrue(Files.exists(work.resolve("ckpt/final/scheduler/scheduler_config.json")));
    try (NDManager m = NDManager.newBaseManager()) {
      UNet2DModel fromFile = new UNet2DModel(c.unetConfig());
      fromFile.initialize(m);
      UNetWeights.load(fromFile, c.unet(), "final");
      UNet2DModel fromRun = new UNet2DModel(TinyRun.tinyConfig());
      fromRun.initialize(m);
      new ParamLayout(fromRun).copyInto(fromRun, r.params());
      NDArray x = m.randomNormal(new Shape(2, 1, 32, 32));
      NDArray t = m.create(new float[] {10, 700});
      float[] a =
          fromFile
              .forward(new ParameterStore(m, false), new NDList(x, t), false)
              .head()
              .toFloatArray();
      float[] b =
          fromRun
              .forward(new ParameterStore(m, false), new NDList(x, t), false)
              .head()
              .toFloatArray();
      assertArrayEquals(b, a);
    }
  }

  @Test
  void existingOutputWithoutResumeIsRefusedAndNonFiniteLossStopsKeepingCheckpoints()
      throws Exception {
    train("twice", "--max-steps", "2", "--checkpoint-every", "1");
    var refused = assertThrows(BadInputException.class, () -> train("twice", "--max-steps", "2"));
    assertTrue(refused.getMessage().contains("--resume"), refused.getMessage());
    // --auto-resume (what a scheduler's retry passes) continues from the newest checkpoint,
    // final/ included, and starts fresh where there is none.
    assertEquals(1, train("twice", "--max-steps", "3", "--auto-resume").steps());
    assertEquals(1, train("auto-fresh", "--max-steps", "1", "--auto-resume").steps());

    var diverged =
        assertThrows(
            IllegalStateException.class,
            () -> train("nan", "--max-steps", "8", "--lr", "1e30", "--checkpoint-every", "1"));
    assertTrue(diverged.getMessage().contains("non-finite"), diverged.getMessage());
    List<org.apache.hadoop.fs.Path> kept =
        Checkpoints.list(
            new Configuration(), new org.apache.hadoop.fs.Path(work.resolve("nan").toString()));
    assertFalse(kept.isEmpty(), "the last good checkpoint must remain");
    var last = Checkpoints.read(new Configuration(), kept.get(kept.size() - 1));
    for (var t : last.unet().values()) {
      for (float v : t.toFloats()) {
        assertTrue(Float.isFinite(v), "checkpoint holds non-finite weights");
      }
    }
  }
}
