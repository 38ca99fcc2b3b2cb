package io.sparkddpm.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An executor JVM killed (SIGKILL) in the middle of a TrainJob run on a standalone cluster costs
 * nothing: the shard it cached is rebuilt from the MNIST files by another executor, the run
 * finishes, and its weights equal those of an undisturbed run bit for bit.
 */
class ExecutorLossIT {
  private static final int STEPS = 8;
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
   * One undisturbed per-step run, then the same run with an executor killed, once per training
   * mode: both modes must end on the undisturbed weights (they are bitwise equal to each other,
   * PersistentModeTest), per-step by Spark retrying the lost tasks, persistent by relaunching its
   * barrier stage from the driver's last step.
   */
  @Test
  void killingAnExecutorMidRunChangesNoWeight() throws Exception {
    try (StandaloneCluster cluster = StandaloneCluster.start("executor-loss", 2)) {
      Path clean = work.resolve("clean");
      int exit = submit(cluster.masterUrl(), clean).run("executor-loss-clean.log");
      assertEquals(0, exit, Launcher.log("executor-loss-clean.log"));
      killAnExecutorMidRun(cluster, clean, "per-step");
      killAnExecutorMidRun(cluster, clean, "persistent");
    }
  }

  private void killAnExecutorMidRun(StandaloneCluster cluster, Path clean, String mode)
      throws Exception {
    Path run = work.resolve("killed-" + mode);
    String logName = "executor-loss-killed-" + mode + ".log";
    Process driver =
        submit(cluster.masterUrl(), run).args("--mode", mode).process(logName, List.of()).start();
    long before;
    ProcessHandle executor;
    try {
      before = waitForSteps(run, 2, driver);
      List<ProcessHandle> executors = cluster.executors(1);
      assertEquals(1, executors.size(), "executors of worker 1: " + executors);
      executor = executors.get(0);
      executor.destroyForcibly(); // SIGKILL
      executor.onExit().get(30, TimeUnit.SECONDS);
      assertTrue(driver.waitFor(10, TimeUnit.MINUTES), "the driver did not finish");
    } finally {
      driver.destroyForcibly();
    }
    String log = Launcher.log(logName);
    System.out.printf(
        "%s: executor pid %d killed after step %d of %d; driver exit %d%n",
        mode, executor.pid(), before, STEPS, driver.exitValue());
    assertTrue(before < STEPS, "the kill came after the last step");
    assertEquals(0, driver.exitValue(), log);
    assertTrue(log.contains("Lost executor"), "the driver did not see the executor die:\n" + log);
    assertEquals(STEPS, Files.readAllLines(run.resolve("metrics.jsonl")).size());
    for (String file :
        List.of("unet/diffusion_pytorch_model.safetensors", "optimizer.safetensors")) {
      assertArrayEquals(
          Files.readAllBytes(clean.resolve("final").resolve(file)),
          Files.readAllBytes(run.resolve("final").resolve(file)),
          file + " differs from the undisturbed run's");
    }
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
