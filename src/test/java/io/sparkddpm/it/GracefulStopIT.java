package io.sparkddpm.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A spark-submit driver sent SIGTERM in the middle of a run (as Kubernetes, YARN or Airflow stop
 * one) finishes the step under way, writes a checkpoint of it, stops Spark and exits with 143 well
 * within Kubernetes' 30 s grace, leaving no libtorch crash report and no partial checkpoint; the
 * same command with {@code --auto-resume} then ends on the uninterrupted run's weights, bit for
 * bit, in both training modes. A SampleJob sent SIGTERM while it samples exits 143 and publishes
 * nothing.
 */
class GracefulStopIT {
  private static final int STEPS = 6;
  private static final int STOP_AFTER = 2; // SIGTERM once this many steps are in metrics.jsonl
  private static final double BOUND_SECONDS = 20;
  @TempDir Path work;

  private List<String> submitArgs(Path output, String mode) throws Exception {
    return Submit.tinyTraining(work, output)
        .args(
            "--max-steps",
            "" + STEPS,
            "--partitions",
            "2",
            "--ema-decay",
            "0.9",
            "--checkpoint-every",
            "100", // none on its own: the checkpoint after the signal is the stop's
            "--log-every",
            "1", // metrics.jsonl after every step: the test reads the progress there
            "--sample-every-epoch",
            "0",
            "--mode",
            mode,
            "--auto-resume")
        .list();
  }

  @Test
  void sigtermStopsAfterAStepAndAutoResumeEndsOnTheSameWeights() throws Exception {
    Path straight = work.resolve("straight");
    int exit =
        Launcher.submit(
            "graceful-stop-straight.log", submitArgs(straight, "per-step").toArray(String[]::new));
    assertEquals(0, exit, Launcher.log("graceful-stop-straight.log"));
    for (String mode : List.of("per-step", "persistent")) {
      stopAndResume(straight, mode);
    }
    stopSampling(straight.resolve("final"));
  }

  /** SampleJob on {@code model}, SIGTERM while its tasks sample: no output, no staging left. */
  private void stopSampling(Path model) throws Exception {
    Path parent = Files.createDirectories(work.resolve("samples"));
    Path cwd = Files.createDirectories(work.resolve("cwd-sample"));
    List<String> args =
        Submit.job("SampleJob")
            .args(
                "--model", model.toString(),
                "--output", parent.resolve("out").toString(),
                "--num-images", "64",
                "--batch-size", "4",
                "--steps", "100",
                "--partitions", "2")
            .list();
    Process job =
        Launcher.java("org.apache.spark.deploy.SparkSubmit", "graceful-stop-sample.log", args)
            .directory(cwd.toFile())
            .start();
    double seconds;
    try {
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
      while (names(parent).isEmpty() && job.isAlive() && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertTrue(job.isAlive(), "SampleJob ended before it was stopped");
      List<String> staged = names(parent);
      Thread.sleep(2000); // into the sampling tasks
      long t0 = System.nanoTime();
      job.destroy(); // SIGTERM
      assertTrue(job.waitFor(60, TimeUnit.SECONDS), "SampleJob did not stop in 60 s");
      seconds = (System.nanoTime() - t0) / 1e9;
      System.out.printf(
          "SampleJob: SIGTERM while staging %s: exit %d in %.1f s; left %s%n",
          staged, job.exitValue(), seconds, names(parent));
    } finally {
      job.destroyForcibly();
    }
    String log = Launcher.log("graceful-stop-sample.log");
    assertEquals(143, job.exitValue(), log);
    assertTrue(seconds < BOUND_SECONDS, "took " + seconds + " s to stop");
    assertEquals(List.of(), names(parent), "published or left a staging folder");
    assertEquals(
        List.of(), names(cwd).stream().filter(n -> n.startsWith("hs_err")).toList(), "crashed");
  }

  private void stopAndResume(Path straight, String mode) throws Exception {
    Path run = work.resolve("run-" + mode);
    Path cwd = Files.createDirectories(work.resolve("cwd-" + mode)); // where hs_err would go
    String logName = "graceful-stop-" + mode + ".log";
    ProcessBuilder pb =
        Launcher.java("org.apache.spark.deploy.SparkSubmit", logName, submitArgs(run, mode));
    Process driver = pb.directory(cwd.toFile()).start();
    double seconds;
    try {
      ExecutorLossIT.waitForSteps(run, STOP_AFTER, driver);
      // Half a step later, so that the signal lands inside the next step (its backward pass).
      List<String> lines = Files.readAllLines(run.resolve("metrics.jsonl"));
      double step =
          com.google.gson.JsonParser.parseString(lines.get(lines.size() - 1))
              .getAsJsonObject()
              .get("step_s")
              .getAsDouble();
      Thread.sleep((long) (step * 500));
      long t0 = System.nanoTime();
      driver.destroy(); // SIGTERM
      assertTrue(driver.waitFor(60, TimeUnit.SECONDS), "the driver did not stop in 60 s");
      seconds = (System.nanoTime() - t0) / 1e9;
    } finally {
      driver.destroyForcibly();
    }
    String log = Launcher.log(logName);
    Matcher at = Pattern.compile("stopped on request after step (\\d+)").matcher(log);
    assertTrue(at.find(), log);
    int stopped = Integer.parseInt(at.group(1));
    List<String> left = names(run);
    List<String> crashes = names(cwd).stream().filter(n -> n.startsWith("hs_err")).toList();
    System.out.printf(
        "%s: SIGTERM after step >= %d: stopped after step %d in %.1f s, exit %d; left %s%n",
        mode, STOP_AFTER, stopped, seconds, driver.exitValue(), left);
    assertEquals(143, driver.exitValue(), log);
    assertTrue(seconds < BOUND_SECONDS, "took " + seconds + " s to stop");
    assertEquals(List.of(), crashes, "libtorch crashed at exit");
    assertTrue(stopped >= STOP_AFTER && stopped < STEPS, "stopped after step " + stopped);
    assertTrue(left.contains("checkpoint-" + stopped), "no checkpoint of the last step: " + left);
    assertFalse(left.contains("final"), "the run was stopped before its end: " + left);
    assertTrue( // nothing half written: no hidden folder but the local file system's checksums
        left.stream().noneMatch(n -> n.startsWith(".") && !n.endsWith(".crc")), "" + left);
    assertEquals(stopped, Files.readAllLines(run.resolve("metrics.jsonl")).size());

    String resumedLog = "graceful-stop-" + mode + "-resumed.log";
    int resumed = Launcher.submit(resumedLog, submitArgs(run, mode).toArray(String[]::new));
    String log2 = Launcher.log(resumedLog);
    assertEquals(0, resumed, log2);
    assertTrue(log2.contains("checkpoint-" + stopped + " at step " + stopped), log2);
    assertEquals(STEPS, Files.readAllLines(run.resolve("metrics.jsonl")).size());
    for (String file :
        List.of(
            "unet/diffusion_pytorch_model.safetensors",
            "unet_ema/diffusion_pytorch_model.safetensors",
            "optimizer.safetensors")) {
      assertArrayEquals(
          Files.readAllBytes(straight.resolve("final").resolve(file)),
          Files.readAllBytes(run.resolve("final").resolve(file)),
          mode + ": " + file + " differs from the uninterrupted run's");
    }
  }

  private static List<String> names(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
