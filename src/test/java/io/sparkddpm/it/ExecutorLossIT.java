package io.sparkddpm.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Executors lost again and again in the middle of a TrainJob run on a standalone cluster of three
 * one-core workers (two executors run, the third worker stands by) cost nothing: three executors
 * are stopped at different steps of one run, by SIGTERM (what a preempted or decommissioned node's
 * executor gets), SIGKILL, and SIGTERM again; each lost shard is rebuilt from the MNIST files by
 * another executor, the run finishes, and its weights equal those of an undisturbed run bit for
 * bit. No executor leaves a libtorch crash report.
 */
class ExecutorLossIT {
  private static final int STEPS = 10;

  /** After how many steps each executor is stopped, and how: SIGTERM (destroy) or SIGKILL. */
  private static final int[] KILL_AFTER = {2, 5, 8};

  private static final boolean[] FORCIBLY = {false, true, false};

  @TempDir Path work;

  private Submit submit(String master, Path output) throws Exception {
    return Submit.tinyTraining(work, output)
        .onCluster(master)
        .args(
            "--max-steps",
            "" + STEPS,
            "--partitions",
            "2",
            "--log-every",
            "1", // metrics.jsonl is written after every step: the test reads the progress there
            "--sample-every-epoch",
            "0");
  }

  /**
   * One undisturbed per-step run, then the same run with three executors stopped, once per training
   * mode: both modes must end on the undisturbed weights (they are bitwise equal to each other,
   * PersistentModeTest), per-step by Spark retrying the lost tasks, persistent by relaunching its
   * barrier stage from the driver's last step (each relaunch is one of --stage-retries, counted
   * since the last completed step, so three losses at different steps fit the default of 3).
   */
  @Test
  void stoppingThreeExecutorsMidRunChangesNoWeight() throws Exception {
    // spark.cores.max=2 (onCluster): two executors run, the third worker stands by.
    try (StandaloneCluster cluster = StandaloneCluster.start("executor-loss", 3)) {
      Path clean = work.resolve("clean");
      int exit = submit(cluster.masterUrl(), clean).run("executor-loss-clean.log");
      assertEquals(0, exit, Launcher.log("executor-loss-clean.log"));
      stopExecutorsMidRun(cluster, clean, "per-step");
      stopExecutorsMidRun(cluster, clean, "persistent");
      assertEquals(List.of(), crashReports(cluster), "an executor crashed in libtorch");
    }
  }

  private void stopExecutorsMidRun(StandaloneCluster cluster, Path clean, String mode)
      throws Exception {
    Path run = work.resolve("killed-" + mode);
    String logName = "executor-loss-killed-" + mode + ".log";
    Process driver =
        submit(cluster.masterUrl(), run).args("--mode", mode).process(logName, List.of()).start();
    List<String> stopped = new ArrayList<>();
    try {
      for (int k = 0; k < KILL_AFTER.length; k++) {
        long before = waitForSteps(run, KILL_AFTER[k], driver);
        assertTrue(before < STEPS, "the stop came after the last step");
        ProcessHandle executor = anExecutor(cluster, k);
        if (FORCIBLY[k]) {
          executor.destroyForcibly(); // SIGKILL
        } else {
          executor.destroy(); // SIGTERM
        }
        executor.onExit().get(60, TimeUnit.SECONDS);
        stopped.add(
            (FORCIBLY[k] ? "SIGKILL" : "SIGTERM")
                + " pid "
                + executor.pid()
                + " after step "
                + before);
      }
      assertTrue(driver.waitFor(10, TimeUnit.MINUTES), "the driver did not finish");
    } finally {
      driver.destroyForcibly();
    }
    String log = Launcher.log(logName);
    System.out.printf("%s: %s; driver exit %d%n", mode, stopped, driver.exitValue());
    assertEquals(0, driver.exitValue(), log);
    assertTrue(log.contains("Lost executor"), "the driver did not see the executor die:\n" + log);
    assertEquals(STEPS, Files.readAllLines(run.resolve("metrics.jsonl")).size());
    for (String file :
        List.of("unet/diffusion_pytorch_model.safetensors", "optimizer.safetensors")) {
      assertArrayEquals(
          Files.readAllBytes(clean.resolve("final").resolve(file)),
          Files.readAllBytes(run.resolve("final").resolve(file)),
          mode + ": " + file + " differs from the undisturbed run's");
    }
  }

  /** A running executor JVM, looking at the workers in an order that moves on with {@code k}. */
  private static ProcessHandle anExecutor(StandaloneCluster cluster, int k) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (System.nanoTime() < deadline) {
      for (int i = 0; i < 3; i++) {
        List<ProcessHandle> on = cluster.executors(1 + (k + i) % 3);
        if (!on.isEmpty()) {
          return on.get(0);
        }
      }
      Thread.sleep(100);
    }
    throw new AssertionError("no executor is running");
  }

  /** Crash reports (hs_err_pid files) in the executors' work folders. */
  private static List<Path> crashReports(StandaloneCluster cluster) throws Exception {
    List<Path> found = new ArrayList<>();
    for (int w = 1; w <= 3; w++) {
      try (var files = Files.walk(cluster.workDir(w))) {
        files.filter(p -> p.getFileName().toString().startsWith("hs_err")).forEach(found::add);
      }
    }
    return found;
  }

  /** Waits until metrics.jsonl holds at least {@code steps} steps; returns how many it holds. */
  static long waitForSteps(Path run, int steps, Process driver) throws Exception {
    Path metrics = run.resolve("metrics.jsonl");
    long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
    while (System.nanoTime() < deadline && driver.isAlive()) {
      try {
        // Rewritten whole at each step (through a temporary name or not): count complete lines.
        long n = Files.readAllLines(metrics).stream().filter(l -> l.endsWith("}")).count();
        if (n >= steps) {
          return n;
        }
      } catch (java.io.IOException e) {
        // not written yet, or being replaced
      }
      Thread.sleep(20);
    }
    throw new AssertionError(
        "the run did not reach step " + steps + " (alive " + driver.isAlive() + ")");
  }
}
