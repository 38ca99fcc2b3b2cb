package io.sparkddpm.it;

import static java.nio.file.StandardWatchEventKinds.ENTRY_CREATE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkddpm.io.StagedOutput;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The driver killed (SIGKILL) while it writes a checkpoint, then the same command again with {@code
 * --auto-resume}: the run continues from the last complete checkpoint, never from the partial one
 * (which is deleted), and ends with the weights of an uninterrupted run, bit for bit.
 */
class DriverLossIT {
  private static final int STEPS = 6;
  private static final int KILL_AT = 3; // while checkpoint-3 is being written
  @TempDir Path work;

  private Submit submit(Path output) throws Exception {
    return Submit.tinyTraining(work, output)
        .args(
            "--max-steps",
            "" + STEPS,
            "--partitions",
            "2",
            "--ema-decay",
            "0.9",
            "--checkpoint-every",
            "1",
            "--sample-every-epoch",
            "0");
  }

  @Test
  void driverKilledWhileCheckpointingResumesToTheSameWeights() throws Exception {
    Path straight = work.resolve("straight");
    int exit = submit(straight).run("driver-loss-straight.log");
    assertEquals(0, exit, Launcher.log("driver-loss-straight.log"));

    Path run = work.resolve("run");
    Files.createDirectories(run); // watched before the driver starts
    Path partial;
    try (WatchService watcher = run.getFileSystem().newWatchService()) {
      run.register(watcher, ENTRY_CREATE);
      // Each checkpoint stays half written for 3 s before its rename (SlowCheckpointRename), so
      // the kill below lands while checkpoint-KILL_AT is incomplete however fast this machine
      // writes it.
      ProcessBuilder killed =
          submit(run)
              .conf("spark.hadoop.fs.file.impl", SlowCheckpointRename.class.getName())
              .conf("spark.hadoop.fs.file.impl.disable.cache", "true")
              .conf("spark.hadoop." + SlowCheckpointRename.PAUSE_MS, "3000")
              .args("--auto-resume")
              .process("driver-loss-killed.log", List.of(Launcher.TARGET.resolve("test-classes")));
      Process driver = killed.start();
      try {
        partial = waitForPartialCheckpoint(watcher, driver);
        driver.destroyForcibly(); // SIGKILL, while the checkpoint is being written
        assertTrue(driver.waitFor(60, TimeUnit.SECONDS));
      } finally {
        driver.destroyForcibly();
      }
      assertEquals(137, driver.exitValue(), "killed by SIGKILL");
    }
    List<String> left = names(run);
    System.out.println("left by the killed driver: " + left);
    assertTrue(Files.isDirectory(partial), "the partial checkpoint is left behind: " + left);
    assertFalse(left.contains("final"), "the run was killed before its end: " + left);

    int resumed = submit(run).args("--auto-resume").run("driver-loss-resumed.log");
    String log = Launcher.log("driver-loss-resumed.log");
    assertEquals(0, resumed, log);
    Matcher from = Pattern.compile("resuming from (\\S+) at step (\\d+)").matcher(log);
    assertTrue(from.find(), log);
    System.out.println("resumed: " + from.group());
    assertEquals(
        run.resolve("checkpoint-" + (KILL_AT - 1)).toUri().getPath(),
        new org.apache.hadoop.fs.Path(from.group(1)).toUri().getPath(),
        "resumed from the last complete checkpoint");
    assertFalse(Files.exists(partial), "the partial checkpoint was cleaned up");
    assertTrue( // nothing hidden is left but the local file system's checksum files
        names(run).stream().noneMatch(n -> n.startsWith(".") && !n.endsWith(".crc")),
        "" + names(run));
    assertEquals(STEPS, Files.readAllLines(run.resolve("metrics.jsonl")).size());
    for (String file :
        List.of(
            "unet/diffusion_pytorch_model.safetensors",
            "unet_ema/diffusion_pytorch_model.safetensors",
            "optimizer.safetensors")) {
      assertArrayEquals(
          Files.readAllBytes(straight.resolve("final").resolve(file)),
          Files.readAllBytes(run.resolve("final").resolve(file)),
          file + " differs from the uninterrupted run's");
    }
  }

  /** The staging folder of checkpoint-KILL_AT ({@link StagedOutput}), as soon as it is created. */
  private static Path waitForPartialCheckpoint(WatchService watcher, Process driver)
      throws Exception {
    Path dir = null;
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    while (System.nanoTime() < deadline && driver.isAlive()) {
      WatchKey key = watcher.poll(1, TimeUnit.SECONDS);
      if (key == null) {
        continue;
      }
      dir = (Path) key.watchable();
      for (WatchEvent<?> e : key.pollEvents()) {
        String name = e.context().toString();
        if (StagedOutput.targetOf(name).filter(("checkpoint-" + KILL_AT)::equals).isPresent()) {
          return dir.resolve((Path) e.context());
        }
      }
      key.reset();
    }
    throw new AssertionError(
        "checkpoint-" + KILL_AT + " was never begun (alive " + driver.isAlive() + ")");
  }

  private static List<String> names(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
