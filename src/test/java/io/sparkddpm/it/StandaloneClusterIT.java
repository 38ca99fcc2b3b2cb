package io.sparkddpm.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TrainJob on a real standalone cluster on 127.0.0.1: a master and two workers (one core each)
 * started from the Maven-resolved Spark jars, one executor per worker, stopped after the class.
 */
class StandaloneClusterIT {
  private static StandaloneCluster cluster;
  private static String masterUrl;
  @TempDir Path work;

  @BeforeAll
  static void startCluster() throws Exception {
    cluster = StandaloneCluster.start("cluster", 2);
    masterUrl = cluster.masterUrl();
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void trainJobRunsOnTwoExecutorsOfAStandaloneCluster() throws Exception {
    Path run = work.resolve("run");
    int exit = train("cluster-train.log", run, "per-step");
    assertEquals(0, exit, Launcher.log("cluster-train.log"));
    assertEquals(3, Files.readAllLines(run.resolve("metrics.jsonl")).size());
    String state = Files.readString(run.resolve("final/trainer_state.json"));
    assertTrue(state.contains(masterUrl), state);
    for (int w = 1; w <= 2; w++) { // each worker ran an executor of this application
      try (var apps = Files.list(cluster.workDir(w))) {
        assertTrue(
            apps.anyMatch(p -> p.getFileName().toString().startsWith("app-")),
            "worker " + w + " ran no executor");
      }
    }
  }

  @Test
  void persistentStageRunsOneTaskOnEachExecutorAndExchangesWithTheDriver() throws Exception {
    Path run = work.resolve("run");
    int exit = train("cluster-persistent.log", run, "persistent");
    String log = Launcher.log("cluster-persistent.log");
    assertEquals(0, exit, log);
    assertEquals(3, Files.readAllLines(run.resolve("metrics.jsonl")).size());
    assertTrue(log.contains("persistent stage launch 1: 2 tasks connected"), log);
    assertTrue(log.contains("persistent stage endpoint closed (0 connections refused)"), log);
  }

  private int train(String log, Path run, String mode) throws Exception {
    return Submit.tinyTraining(work, run)
        .onCluster(masterUrl)
        .args("--max-steps", "3", "--partitions", "2", "--mode", mode, "--sample-every-epoch", "0")
        .run(log);
  }
}
