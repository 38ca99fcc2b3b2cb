package io.sparkddpm.it;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Spark standalone cluster on 127.0.0.1: a master and workers of one core each, started from the
 * Maven-resolved Spark jars on free ports, each worker with its own work dir under
 * target/it-work/{@code name}; {@link #close} stops them and the executors they started.
 */
final class StandaloneCluster implements AutoCloseable {
  private final List<Process> processes = new ArrayList<>();
  private final List<Path> workDirs = new ArrayList<>();
  private final String masterUrl;

  private StandaloneCluster(String masterUrl) {
    this.masterUrl = masterUrl;
  }

  /** Starts a master and {@code workers} workers and waits until they have registered. */
  static StandaloneCluster start(String name, int workers) throws Exception {
    Path home = Launcher.sparkHome();
    int port = Launcher.freePort();
    int ui = Launcher.freePort();
    StandaloneCluster c = new StandaloneCluster("spark://127.0.0.1:" + port);
    try {
      c.processes.add(
          start(
              "org.apache.spark.deploy.master.Master",
              name + "-master.log",
              home,
              List.of("--host", "127.0.0.1", "--port", "" + port, "--webui-port", "" + ui)));
      for (int w = 1; w <= workers; w++) {
        Path dir = Launcher.TARGET.resolve("it-work/" + name + "/worker-" + w);
        Files.createDirectories(dir);
        c.workDirs.add(dir);
        c.processes.add(
            start(
                "org.apache.spark.deploy.worker.Worker",
                name + "-worker-" + w + ".log",
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
                    c.masterUrl)));
      }
      waitForWorkers(ui, workers);
      return c;
    } catch (Exception | AssertionError e) {
      c.close();
      throw e;
    }
  }

  /** {@code spark://127.0.0.1:port}. */
  String masterUrl() {
    return masterUrl;
  }

  /** The work dir of worker {@code w} (1-based): one app-* folder per application it served. */
  Path workDir(int w) {
    return workDirs.get(w - 1);
  }

  /** The executor JVMs worker {@code w} (1-based) runs now. */
  List<ProcessHandle> executors(int w) {
    return processes
        .get(w)
        .children()
        .filter(p -> p.info().commandLine().orElse("").contains("CoarseGrainedExecutorBackend"))
        .toList();
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

  @Override
  public void close() {
    for (Process p : processes) {
      p.descendants().forEach(ProcessHandle::destroy);
      p.destroy();
    }
    for (Process p : processes) {
      try {
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
          p.descendants().forEach(ProcessHandle::destroyForcibly);
          p.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
