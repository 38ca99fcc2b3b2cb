package io.sparkddpm.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scripts under submit/ as a user runs them: every one answers --help, refuses a wrong command
 * line, the Dockerfiles pass hadolint, and the Airflow DAG runs end to end.
 */
class ScriptsIT {
  @TempDir Path work;

  private static int bash(String log, List<String> args, long minutes) throws Exception {
    Files.createDirectories(Launcher.LOGS);
    List<String> cmd = new java.util.ArrayList<>(List.of("bash"));
    cmd.addAll(args);
    Process p =
        new ProcessBuilder(cmd)
            .directory(Launcher.PROJECT.toFile())
            .redirectErrorStream(true)
            .redirectOutput(Launcher.LOGS.resolve(log).toFile())
            .start();
    if (!p.waitFor(minutes, TimeUnit.MINUTES)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      throw new AssertionError(args + " did not finish in " + minutes + " minutes");
    }
    return p.exitValue();
  }

  @Test
  void everyScriptAnswersHelpAndRefusesUnknownOptions() throws Exception {
    for (String script :
        List.of(
            "quickstart.sh",
            "local.sh",
            "standalone.sh",
            "yarn.sh",
            "kubernetes.sh",
            "cluster-local.sh",
            "fetch-mnist.sh",
            "test.sh",
            "benchmark-train.sh",
            "lint-docker.sh")) {
      String log = script + "-help.log";
      assertEquals(0, bash(log, List.of("submit/" + script, "--help"), 1), script + " --help");
      assertTrue(Launcher.log(log).contains("Usage"), script + ": " + Launcher.log(log));
    }
    for (String script : List.of("quickstart.sh", "cluster-local.sh", "benchmark-train.sh")) {
      String log = script + "-bad.log";
      int exit = bash(log, List.of("submit/" + script, "start", "--bogus"), 1);
      assertTrue(exit != 0, script + " accepted --bogus");
    }
    int exit = bash("standalone-nomaster.log", List.of("submit/standalone.sh", "train"), 1);
    assertTrue(exit != 0);
    assertTrue(Launcher.log("standalone-nomaster.log").contains("SPARK_MASTER"));
  }

  @Test
  void dockerfilesPassHadolint() throws Exception {
    int exit = bash("hadolint.log", List.of("submit/lint-docker.sh"), 10);
    assertEquals(0, exit, Launcher.log("hadolint.log"));
    assertTrue(Launcher.log("hadolint.log").contains("Dockerfiles clean"));
  }

  @Test
  void airflowDagImportsAndRunsEndToEnd() throws Exception {
    int exit = bash("airflow-dag.log", List.of("submit/airflow/test-dag.sh", work.toString()), 40);
    assertEquals(0, exit, Launcher.log("airflow-dag.log"));
    Path day = work.resolve("2026-11-26");
    assertTrue(Files.exists(day.resolve("train/final/unet/diffusion_pytorch_model.safetensors")));
    assertTrue(Files.exists(day.resolve("samples/grid.png")));
    assertTrue(Files.exists(day.resolve("train/metrics.jsonl")));
  }
}
