package io.sparkddpm.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TrainJob on a real standalone cluster on 127.0.0.1: a master and two workers (one core each)
 * started from the Maven-resolved Spark jars, one executor per worker, stopped after the class.
 */
class StandaloneClusterIT {
  private static final List<Process> processes = new ArrayList<>();
  private static String masterUrl;
  @TempDir Path work;

  @BeforeAll
  static void startCluster() throws Exception {
    Path home = Launcher.sparkHome();
    int port = Launcher.freePort();
    int ui = Launcher.freePort();
    masterUrl = "spark://127.0.0.1:" + port;
    processes.add(
        start(
            "org.apache.spark.deploy.master.Master",
            "master.log",
            home,
            List.of("--host", "127.0.0.1", "--port", "" + port, "--webui-port", "" + ui)));
    for (int w = 1; w <= 2; w++) {
      Path dir = Launcher.TARGET.resolve("it-work/worker-" + w);
      Files.createDirectories(dir);
      processes.add(
          start(
              "org.apache.spark.deploy.worker.Worker",
              "worker-" + w + ".log",
              home,
              List.of(
                  "--host",
                  "127.0.0.1",
                  "--cores",
                  "1",
                  "--memory",
                  "3g",
                  "--work-dir",
                  dir.toString(),
                  "--webui-port",
                  "" + Launcher.freePort(),
                  masterUrl)));
    }
    waitForWorkers(ui, 2);
  }

  private static Process start(String main, String log, Path home, List<String> args)
      throws Exception {
    ProcessBuilder pb = Launcher.java(main, log, args);
    pb.environment().put("SPARK_HOME", home.toString());
    pb.environment().put("SPARK_SCALA_VERSION", "2.13");
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    return pb.start();
  }

  private static void waitForWorkers(int uiPort, int expected) throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    String last = "";
    while (System.nanoTime() < deadline) {
      try {
        last =
            http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + uiPort + "/json/"))
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .body();
        if (last.contains("\"aliveworkers\" : " + expected)
            || last.contains("\"aliveworkers\":" + expected)) {
          return;
        }
      } catch (java.io.IOException e) {
        last = e.toString();
      }
      Thread.sleep(1000);
    }
    throw new AssertionError("cluster did not come up with " + expected + " workers: " + last);
  }

  @AfterAll
  static void stopCluster() {
    for (Process p : processes) {
      p.descendants().forEach(ProcessHandle::destroy);
      p.destroy();
    }
    for (Process p : processes) {
      try {
        if (!p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
          p.descendants().forEach(ProcessHandle::destroyForcibly);
          p.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
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
      try (var apps = Files.list(Launcher.TARGET.resolve("it-work/worker-" + w))) {
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
    return Launcher.submit(
        log,
        "--master",
        masterUrl,
        "--conf",
        "spark.ui.enabled=false",
        "--conf",
        "spark.driver.host=127.0.0.1",
        "--conf",
        "spark.executor.memory=2g",
        "--conf",
        "spark.executor.cores=1",
        "--conf",
        "spark.cores.max=2",
        "--conf",
        "spark.executor.extraJavaOptions=-Dai.djl.offline=true",
        "--conf",
        "spark.executorEnv.GLIBC_TUNABLES=glibc.malloc.hugetlb=1",
        "--jars",
        Launcher.nativeJar().toString(),
        "--class",
        "TrainJob",
        Launcher.JAR.toString(),
        "--data",
        Launcher.PROJECT.resolve("data/mnist").toString(),
        "--output",
        run.toString(),
        "--model-config",
        SparkSubmitIT.tinyConfig(work).toString(),
        "--limit",
        "128",
        "--batch-size",
        "32",
        "--max-steps",
        "3",
        "--partitions",
        "2",
        "--mode",
        mode,
        "--sample-every-epoch",
        "0");
  }
}
