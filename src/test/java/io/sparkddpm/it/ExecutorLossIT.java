package io.sparkddpm.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkddpm.data.ImageFixtures;
import io.sparkddpm.model.UNetConfig;
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
 * bit. No executor leaves a libtorch crash report. The same holds for an image folder and a Parquet
 * table of RGB images, labels included.
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

  /** Steps of the image-source runs, and after which one their executor is killed. */
  private static final int IMAGE_STEPS = 6;

  private static final int IMAGE_KILL_AFTER = 2;

  /**
   * A class-conditional RGB model trained on a folder of 48 PNGs in class folders, undisturbed, and
   * on a Parquet table of the same PNG bytes and labels in the same order with an executor
   * SIGKILLed after step {@value #IMAGE_KILL_AFTER}: the lost shard is rebuilt from the Parquet
   * file by the executor that replaces it, and both runs end on the same weights bit for bit. The
   * model is conditional so that the labels enter every gradient: a label lost or changed on the
   * rebuild would change the weights, as a pixel would. (One killed run, not one per source: each
   * spark-submit costs 100 s on two loaded cores, 75 of them starting; the folder's rebuild is
   * shown in-process by ShardsTest, and was also bitwise here when run, 398 s for three runs.)
   */
  @Test
  void aKilledExecutorsParquetShardIsRebuiltWithItsPixelsAndLabels() throws Exception {
    Path folder = work.resolve("folder");
    Path parquet = work.resolve("parquet");
    writeImageSets(folder, parquet);
    Path config = work.resolve("rgb-conditional.json");
    Files.writeString(
        config,
        UNetConfig.builder()
            .sampleSize(32)
            .inChannels(3)
            .outChannels(3)
            .layersPerBlock(1)
            .blockOutChannels(16, 32)
            .downBlockTypes("DownBlock2D", "AttnDownBlock2D")
            .upBlockTypes("AttnUpBlock2D", "UpBlock2D")
            .normNumGroups(8)
            .numClassEmbeds(11)
            .build()
            .toJson());
    try (StandaloneCluster cluster = StandaloneCluster.start("executor-loss-images", 3)) {
      Path clean = work.resolve("images-clean");
      int exit = imageRun(cluster.masterUrl(), folder, config, clean).run("images-clean.log");
      assertEquals(0, exit, Launcher.log("images-clean.log"));
      Path run = work.resolve("images-killed");
      Process driver =
          imageRun(cluster.masterUrl(), parquet, config, run)
              .process("images-killed.log", List.of())
              .start();
      try {
        long before = waitForSteps(run, IMAGE_KILL_AFTER, driver);
        assertTrue(before < IMAGE_STEPS, "the kill came after the last step");
        ProcessHandle executor = anExecutor(cluster, 0);
        executor.destroyForcibly(); // SIGKILL: its cached shard is gone with it
        executor.onExit().get(60, TimeUnit.SECONDS);
        System.out.printf("parquet: SIGKILL pid %d after step %d%n", executor.pid(), before);
        assertTrue(driver.waitFor(10, TimeUnit.MINUTES), "the driver did not finish");
      } finally {
        driver.destroyForcibly();
      }
      String log = Launcher.log("images-killed.log");
      assertEquals(0, driver.exitValue(), log);
      assertTrue(log.contains("Lost executor"), "the driver did not see the executor die:\n" + log);
      // The block manager's word that a cached shard had its only copy on the lost executor.
      assertTrue(log.contains("No more replicas available for rdd_"), "no shard was lost:\n" + log);
      for (String file :
          List.of("unet/diffusion_pytorch_model.safetensors", "optimizer.safetensors")) {
        assertArrayEquals(
            Files.readAllBytes(clean.resolve("final").resolve(file)),
            Files.readAllBytes(run.resolve("final").resolve(file)),
            file + " differs from the undisturbed folder run's");
      }
      assertEquals(List.of(), crashReports(cluster), "an executor crashed in libtorch");
    }
  }

  private static Submit imageRun(String master, Path data, Path config, Path output)
      throws Exception {
    return Submit.job("TrainJob")
        .onCluster(master)
        .args(
            "--data",
            data.toString(),
            "--output",
            output.toString(),
            "--model-config",
            config.toString(),
            "--conditional",
            "--batch-size",
            "16",
            "--max-steps",
            "" + IMAGE_STEPS,
            "--partitions",
            "2",
            "--log-every",
            "1",
            "--sample-every-epoch",
            "0");
  }

  /**
   * 48 seeded RGB 32x32 PNGs ({@link ImageFixtures#rgb}, javax.imageio) in class folders a/, b/, c/
   * (labels 0, 1, 2), and the same bytes and labels as one Parquet file in Hugging Face's layout,
   * written with the Parquet writer of the samples ({@code image} struct, an int64 {@code label}),
   * rows in the folder's order, so that both sources number the same images alike.
   */
  private static void writeImageSets(Path folder, Path parquet) throws Exception {
    List<byte[]> pngs = new ArrayList<>();
    List<Long> labels = new ArrayList<>();
    for (int c = 0; c < 3; c++) {
      Path dir = Files.createDirectories(folder.resolve(String.valueOf((char) ('a' + c))));
      for (int i = 0; i < 16; i++) {
        byte[] png = ImageFixtures.encode(ImageFixtures.rgb(100 * c + i, 32), "png");
        Files.write(dir.resolve(String.format("%02d.png", i)), png);
        pngs.add(png);
        labels.add((long) c);
      }
    }
    Files.createDirectories(parquet);
    ImageFixtures.writeParquetFile(parquet.resolve("images.parquet"), pngs, labels);
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
