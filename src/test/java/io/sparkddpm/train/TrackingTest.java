package io.sparkddpm.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.sparkddpm.SparkSessionTestBase;
import io.sparkddpm.eval.EvaluateConfig;
import io.sparkddpm.eval.EvaluateJob;
import io.sparkddpm.io.PngImages;
import io.sparkddpm.sample.SampleConfig;
import io.sparkddpm.sample.SampleJob;
import io.sparkddpm.tracking.MlflowRun;
import io.sparkddpm.tracking.TrackingServer;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TrainJob, a resume of it, SampleJob and EvaluateJob against a real MLflow tracking server (one
 * per class, from PyPI), read back through MLflow's REST API; TensorBoard's reader on the event
 * files; a server stopped mid-run.
 */
class TrackingTest extends SparkSessionTestBase {
  @TempDir static Path shared;
  static TrackingServer server;

  @BeforeAll
  static void startServer() throws Exception {
    server = TrackingServer.start(shared.resolve("mlflow"));
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  private static String q(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static Map<String, String> keyValues(JsonObject data, String field) {
    Map<String, String> m = new LinkedHashMap<>();
    if (data.has(field)) {
      for (JsonElement e : data.getAsJsonArray(field)) {
        m.put(
            e.getAsJsonObject().get("key").getAsString(),
            e.getAsJsonObject().get("value").getAsString());
      }
    }
    return m;
  }

  private static JsonObject run(String id) throws Exception {
    return server.get("/api/2.0/mlflow/runs/get?run_id=" + q(id)).getAsJsonObject("run");
  }

  /** step -> value of a metric's whole history. */
  private static Map<Long, Double> history(String runId, String key) throws Exception {
    JsonObject h =
        server.get(
            "/api/2.0/mlflow/metrics/get-history?run_id=" + q(runId) + "&metric_key=" + q(key));
    Map<Long, Double> m = new LinkedHashMap<>();
    for (JsonElement e : h.getAsJsonArray("metrics")) {
      JsonObject o = e.getAsJsonObject();
      m.put(o.get("step").getAsLong(), o.get("value").getAsDouble());
    }
    return m;
  }

  private static Set<String> artifacts(String runId, String path) throws Exception {
    JsonObject list =
        server.get(
            "/api/2.0/mlflow/artifacts/list?run_id="
                + q(runId)
                + (path.isEmpty() ? "" : "&path=" + q(path)));
    Set<String> names = new HashSet<>();
    if (list.has("files")) {
      for (JsonElement e : list.getAsJsonArray("files")) {
        names.add(e.getAsJsonObject().get("path").getAsString());
      }
    }
    return names;
  }

  private static Map<Long, Double> lossesOf(Path metricsJsonl) throws Exception {
    Map<Long, Double> m = new LinkedHashMap<>();
    for (String line : Files.readAllLines(metricsJsonl)) {
      JsonObject o = JsonParser.parseString(line).getAsJsonObject();
      m.put(o.get("step").getAsLong(), o.get("loss").getAsDouble());
    }
    return m;
  }

  @Test
  void trainingResumeSamplingAndEvaluationAreOneGroupOfRuns() throws Exception {
    Path work = shared.resolve("group");
    Files.createDirectories(work);
    String[] tracking = {
      "--mlflow-uri", server.uri(),
      "--mlflow-experiment", "group",
      "--tensorboard-dir", work.resolve("tb").toString(),
      "--log-every", "2",
      "--checkpoint-every", "2",
      "--sample-every-epoch", "4",
      "--sample-steps", "2"
    };
    TrainJob.train(spark, TinyRun.config(work, "run", concat(tracking, "--max-steps", "4")));
    TrainJob.train(
        spark, TinyRun.config(work, "run", concat(tracking, "--max-steps", "8", "--resume")));
    Path run = work.resolve("run");
    String mnist = TinyRun.mnist().toString();
    new SampleJob()
        .run(
            spark,
            SampleConfig.parse(
                new String[] {
                  "--model",
                  run.resolve("final").toString(),
                  "--output",
                  work.resolve("samples").toString(),
                  "--steps",
                  "2",
                  "--num-images",
                  "90",
                  "--batch-size",
                  "45",
                  "--mlflow-uri",
                  server.uri(),
                  "--mlflow-experiment",
                  "group"
                }));
    new EvaluateJob()
        .run(
            spark,
            EvaluateConfig.parse(
                new String[] {
                  "--samples",
                  work.resolve("samples").toString(),
                  "--data",
                  mnist,
                  "--output",
                  work.resolve("evaluation").toString(),
                  "--classifier-limit",
                  "2000",
                  "--classifier-epochs",
                  "1",
                  "--min-classifier-accuracy",
                  "0.5",
                  "--reference-limit",
                  "500",
                  "--mlflow-uri",
                  server.uri(),
                  "--mlflow-experiment",
                  "group"
                }));

    // One experiment with three runs: the training (one run across the resume), its children.
    String experiment =
        server
            .get("/api/2.0/mlflow/experiments/get-by-name?experiment_name=group")
            .getAsJsonObject("experiment")
            .get("experiment_id")
            .getAsString();
    JsonArray runs =
        server
            .post(
                "/api/2.0/mlflow/runs/search",
                "{\"experiment_ids\": [\"" + experiment + "\"], \"max_results\": 10}")
            .getAsJsonArray("runs");
    assertEquals(3, runs.size(), runs.toString());
    Map<String, String> bySource = new LinkedHashMap<>();
    for (JsonElement r : runs) {
      JsonObject o = r.getAsJsonObject();
      bySource.put(
          keyValues(o.getAsJsonObject("data"), "tags").get("mlflow.source.name"),
          o.getAsJsonObject("info").get("run_id").getAsString());
    }
    String trainId = bySource.get("TrainJob");
    assertNotNull(trainId, bySource.toString());
    String stateText = Files.readString(run.resolve("final/trainer_state.json"));
    assertEquals(
        trainId,
        JsonParser.parseString(stateText).getAsJsonObject().get("mlflow_run_id").getAsString());

    JsonObject train = run(trainId);
    assertEquals("FINISHED", train.getAsJsonObject("info").get("status").getAsString());
    Map<String, String> params = keyValues(train.getAsJsonObject("data"), "params");
    Map<String, String> tags = keyValues(train.getAsJsonObject("data"), "tags");
    assertEquals("32", params.get("batch-size"));
    assertEquals("11", params.get("seed"));
    assertEquals("4", params.get("max-steps")); // params are fixed: the first run's value
    assertEquals("8 (was 4)", tags.get("changed.max-steps"));
    assertEquals("4", tags.get("resumed_from_step"));
    assertEquals(spark.sparkContext().applicationId(), tags.get("spark.application_id"));
    assertEquals(spark.sparkContext().master(), tags.get("spark.master"));
    assertEquals("2", tags.get("partitions"));
    assertEquals("per-step", tags.get("mode"));
    assertEquals(TrainJob.codeVersion(), tags.get("code_version"));
    assertEquals(run.resolve("final").toString(), tags.get("final_checkpoint"));

    // Every step's loss, at its step, equal to metrics.jsonl's; the other metrics beside it.
    Map<Long, Double> jsonl = lossesOf(run.resolve("metrics.jsonl"));
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L), new ArrayList<>(jsonl.keySet()));
    assertEquals(jsonl, history(trainId, "loss"));
    for (String key : List.of("lr", "images_per_s", "overhead_s", "recomputed_steps")) {
      assertEquals(jsonl.keySet(), history(trainId, key).keySet(), key);
    }
    assertEquals(1e-3, history(trainId, "lr").get(8L), 0.0);
    assertEquals(Set.of("loss.png", "metrics.jsonl", "samples"), artifacts(trainId, ""));
    assertEquals(Set.of("samples/epoch-001.png"), artifacts(trainId, "samples"));

    // SampleJob's and EvaluateJob's runs hang under the training run.
    String sampleId = bySource.get("SampleJob");
    JsonObject sample = run(sampleId);
    assertEquals(
        trainId, keyValues(sample.getAsJsonObject("data"), "tags").get("mlflow.parentRunId"));
    assertEquals(90.0, history(sampleId, "images").get(0L), 0.0);
    assertEquals(Set.of("grid.png", "trajectory.png", "sample_info.json"), artifacts(sampleId, ""));
    String evalId = bySource.get("EvaluateJob");
    JsonObject eval = run(evalId);
    assertEquals(
        trainId, keyValues(eval.getAsJsonObject("data"), "tags").get("mlflow.parentRunId"));
    assertEquals("FINISHED", eval.getAsJsonObject("info").get("status").getAsString());
    JsonObject metrics =
        JsonParser.parseString(Files.readString(work.resolve("evaluation/metrics.json")))
            .getAsJsonObject();
    assertEquals(
        metrics.getAsJsonObject("samples").get("fid").getAsDouble(),
        history(evalId, "fid").get(0L),
        1e-9);
    assertEquals(
        metrics.getAsJsonObject("ceiling").get("fid").getAsDouble(),
        history(evalId, "ceiling_fid").get(0L),
        1e-9);
    assertEquals(Set.of("metrics.json", "evaluation.png"), artifacts(evalId, ""));

    // TensorBoard's reader: the same losses (as float32) at the same steps, and both grids.
    JsonObject tb = TrackingServer.readTensorBoard(work.resolve("tb"));
    JsonArray loss = tb.getAsJsonObject("scalars").getAsJsonArray("loss");
    Map<Long, Float> tbLoss = new LinkedHashMap<>();
    loss.forEach(
        e ->
            tbLoss.put(
                e.getAsJsonArray().get(0).getAsLong(), e.getAsJsonArray().get(1).getAsFloat()));
    Map<Long, Float> expected = new LinkedHashMap<>();
    jsonl.forEach((step, value) -> expected.put(step, (float) (double) value));
    assertEquals(expected, tbLoss);
    JsonArray images = tb.getAsJsonObject("images").getAsJsonArray("samples");
    assertEquals(2, images.size(), images.toString());
    PngImages.GrayImage grid =
        PngImages.decode(Files.readAllBytes(run.resolve("samples/epoch-001.png")));
    JsonArray last = images.get(1).getAsJsonArray();
    assertEquals(8, last.get(0).getAsLong());
    assertEquals(grid.width(), last.get(1).getAsInt());
    assertEquals(grid.height(), last.get(2).getAsInt());
  }

  @Test
  void serverStoppedMidRunChangesNoWeightAndIsNamedInTheWarning() throws Exception {
    Path work = shared.resolve("stopped");
    Files.createDirectories(work);
    float[] untracked =
        TrainJob.train(spark, TinyRun.config(work, "plain", "--max-steps", "6")).params();

    List<String> warnings = new CopyOnWriteArrayList<>();
    AbstractAppender capture =
        new AbstractAppender("capture-mlflow", null, null, true, Property.EMPTY_ARRAY) {
          @Override
          public void append(LogEvent event) {
            if (event.getLevel().isMoreSpecificThan(Level.WARN)) {
              warnings.add(event.getMessage().getFormattedMessage());
            }
          }
        };
    capture.start();
    LoggerContext context = (LoggerContext) LogManager.getContext(false);
    LoggerConfig logger = context.getConfiguration().getLoggerConfig(MlflowRun.class.getName());
    logger.addAppender(capture, Level.WARN, null);
    context.updateLoggers();
    Trainer.Result tracked;
    String uri;
    try (TrackingServer doomed = TrackingServer.start(work.resolve("mlflow"))) {
      uri = doomed.uri();
      TrainConfig cfg =
          TinyRun.config(
              work, "tracked", "--max-steps", "6", "--log-every", "1", "--mlflow-uri", uri);
      tracked =
          TrainJob.train(
              spark,
              cfg,
              (source, label) -> {
                if (label.startsWith("train step 3/")) {
                  doomed.kill(); // the server dies with steps 1 and 2 sent or queued
                }
              });
    } finally {
      logger.removeAppender("capture-mlflow");
      context.updateLoggers();
    }

    assertArrayEquals(untracked, tracked.params()); // bitwise: Arrays.equals on float bits
    assertTrue(
        warnings.stream().anyMatch(w -> w.contains(uri) && w.contains("cannot be used")),
        warnings.toString());
    assertTrue(
        warnings.stream().anyMatch(w -> w.contains(uri) && w.contains("could not log")),
        warnings.toString());
  }

  @Test
  void requiredServerThatIsDownFailsTheRunNamingIt() throws Exception {
    Path work = shared.resolve("required");
    Files.createDirectories(work);
    String uri = "http://127.0.0.1:" + TrackingServer.freePort();
    TrainConfig cfg =
        TinyRun.config(work, "run", "--max-steps", "2", "--mlflow-uri", uri, "--mlflow-required");

    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> TrainJob.train(spark, cfg));

    assertTrue(e.getMessage().contains(uri), e.getMessage());
    assertFalse(Files.exists(work.resolve("run/final")));
    assertFalse(Files.exists(work.resolve("run/metrics.jsonl")));
  }

  private static String[] concat(String[] a, String... b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
