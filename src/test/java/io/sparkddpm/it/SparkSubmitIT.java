package io.sparkddpm.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkddpm.io.PngImages;
import io.sparkddpm.io.SampleParquet;
import io.sparkddpm.model.UNetConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The jobs through Spark's real launcher ({@code org.apache.spark.deploy.SparkSubmit}) with the
 * packaged jar, exactly as {@code spark-submit --class TrainJob app.jar ...} runs them.
 */
class SparkSubmitIT {
  @TempDir Path work;

  static Path tinyConfig(Path dir) throws Exception {
    UNetConfig tiny = io.sparkddpm.train.TinyRun.tinyConfig();
    Path file = dir.resolve("tiny.json");
    Files.writeString(file, tiny.toJson());
    return file;
  }

  @Test
  void trainJobThenSampleJobWithStepsFiftyInLocalMode() throws Exception {
    Path run = work.resolve("run");
    int train =
        Submit.tinyTraining(work, run)
            .args("--max-steps", "3", "--sample-every-epoch", "4", "--sample-steps", "5")
            .run("local-train.log");
    assertEquals(0, train, Launcher.log("local-train.log"));
    assertTrue(Launcher.log("local-train.log").contains("TrainJob done: 3 steps"));
    assertEquals(3, Files.readAllLines(run.resolve("metrics.jsonl")).size());
    assertTrue(Files.exists(run.resolve("final/unet/diffusion_pytorch_model.safetensors")));
    assertTrue(Files.exists(run.resolve("samples/epoch-001.png")));

    Path samples = work.resolve("samples");
    int sample =
        Submit.job("SampleJob")
            .args(
                "--steps",
                "50",
                "--model",
                run.resolve("final").toString(),
                "--output",
                samples.toString(),
                "--num-images",
                "4",
                "--batch-size",
                "2")
            .run("local-sample.log");
    assertEquals(0, sample, Launcher.log("local-sample.log"));
    assertTrue(Launcher.log("local-sample.log").contains("SampleJob done: 4 images"));
    int rows = 0;
    try (var parts = Files.list(samples.resolve("parquet"))) {
      for (Path p : parts.filter(f -> f.toString().endsWith(".parquet")).toList()) {
        for (var row :
            SampleParquet.read(
                new org.apache.hadoop.conf.Configuration(),
                new org.apache.hadoop.fs.Path(p.toString()))) {
          assertEquals(50, row.steps());
          assertEquals(32, PngImages.decode(row.png()).width());
          rows++;
        }
      }
    }
    assertEquals(4, rows);
    assertTrue(Files.exists(samples.resolve("grid.png")));
  }

  /** A job that needs no engine: its command line is answered before Spark starts. */
  private static Submit refusedBeforeSpark(String job) {
    return Submit.job(job).master("local[1]").withoutNativeJar();
  }

  @Test
  void helpExitsZeroAndBadCommandLinesExitTwo() throws Exception {
    assertEquals(0, refusedBeforeSpark("TrainJob").args("--help").run("help.log"));
    assertTrue(Launcher.log("help.log").contains("--batch-size"));
    assertEquals(
        2,
        refusedBeforeSpark("TrainJob")
            .args("--data", "x", "--output", "y", "--bogus", "1")
            .run("bad-option.log"));
    assertTrue(Launcher.log("bad-option.log").contains("unknown option --bogus"));
    assertEquals(
        2,
        refusedBeforeSpark("SampleJob")
            .args("--model", "m", "--output", "o", "--steps", "0")
            .run("bad-steps.log"));
    assertTrue(Launcher.log("bad-steps.log").contains("--steps must be in 1..1000"));
    assertEquals(2, refusedBeforeSpark("EvaluateJob").run("eval.log"));
    assertTrue(Launcher.log("eval.log").contains("EvaluateJob: --samples is required"));
  }
}
