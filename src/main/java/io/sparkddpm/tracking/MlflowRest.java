package io.sparkddpm.tracking;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * The few calls of MLflow's REST API (version 2.0, served unchanged by MLflow 2 and 3) that the
 * jobs need, on the JDK's HTTP client. MLflow's own Java client is not served by the Maven
 * repository here; these eight endpoints are simpler than a dependency would be.
 */
final class MlflowRest {
  /** An answer other than 200; {@code retryable} for 429, 5xx and no answer at all. */
  static final class Failure extends IOException {
    private static final long serialVersionUID = 1L;
    final int status;
    final String errorCode;

    Failure(String message, int status, String errorCode, Throwable cause) {
      super(message, cause);
      this.status = status;
      this.errorCode = errorCode;
    }

    boolean retryable() {
      return status == 0 || status == 429 || status >= 500;
    }
  }

  /** A metric value at one step. */
  record Metric(String key, double value, long timestamp, long step) {}

  private final URI base;
  private final HttpClient http;
  private final String authorization;

  /** A client of the server at {@code base}; credentials as MLflow's own clients read them. */
  MlflowRest(URI base, Map<String, String> env) {
    String s = base.toString();
    this.base = URI.create(s.endsWith("/") ? s : s + "/");
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    String token = env.getOrDefault("MLFLOW_TRACKING_TOKEN", "");
    String user = env.getOrDefault("MLFLOW_TRACKING_USERNAME", "");
    if (!token.isEmpty()) {
      authorization = "Bearer " + token;
    } else if (!user.isEmpty()) {
      String pair = user + ":" + env.getOrDefault("MLFLOW_TRACKING_PASSWORD", "");
      authorization =
          "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8));
    } else {
      authorization = null;
    }
  }

  /** The id of experiment {@code name}, created when it does not exist. */
  String experimentId(String name) throws IOException {
    try {
      return get("api/2.0/mlflow/experiments/get-by-name?experiment_name=" + encode(name))
          .getAsJsonObject("experiment")
          .get("experiment_id")
          .getAsString();
    } catch (Failure e) {
      if (!"RESOURCE_DOES_NOT_EXIST".equals(e.errorCode)) {
        throw e;
      }
    }
    JsonObject body = new JsonObject();
    body.addProperty("name", name);
    try {
      return post("api/2.0/mlflow/experiments/create", body).get("experiment_id").getAsString();
    } catch (Failure e) { // another job created it in between
      if (!"RESOURCE_ALREADY_EXISTS".equals(e.errorCode)) {
        throw e;
      }
      return experimentId(name);
    }
  }

  /** Creates a run; returns its {@code info} object (run_id, artifact_uri, ...). */
  JsonObject createRun(String experimentId, String runName, Map<String, String> tags)
      throws IOException {
    JsonObject body = new JsonObject();
    body.addProperty("experiment_id", experimentId);
    body.addProperty("run_name", runName);
    body.addProperty("start_time", System.currentTimeMillis());
    body.add("tags", keyValues(tags));
    return post("api/2.0/mlflow/runs/create", body).getAsJsonObject("run").getAsJsonObject("info");
  }

  /** The run ({@code info} and {@code data}); a {@link Failure} if it does not exist. */
  JsonObject getRun(String runId) throws IOException {
    return get("api/2.0/mlflow/runs/get?run_id=" + encode(runId)).getAsJsonObject("run");
  }

  /** Sets the status (RUNNING, FINISHED, FAILED, KILLED); an end time unless RUNNING. */
  void updateRun(String runId, String status) throws IOException {
    JsonObject body = new JsonObject();
    body.addProperty("run_id", runId);
    body.addProperty("status", status);
    if (!status.equals("RUNNING")) {
      body.addProperty("end_time", System.currentTimeMillis());
    }
    post("api/2.0/mlflow/runs/update", body);
  }

  /** One log-batch call: at most 1000 metrics, 100 params and 100 tags (MLflow's limits). */
  void logBatch(
      String runId, List<Metric> metrics, Map<String, String> params, Map<String, String> tags)
      throws IOException {
    JsonObject body = new JsonObject();
    body.addProperty("run_id", runId);
    JsonArray m = new JsonArray();
    for (Metric metric : metrics) {
      JsonObject o = new JsonObject();
      o.addProperty("key", metric.key());
      // MLflow stores NaN and infinities; JSON has no literal for them, its parser takes strings.
      if (Double.isFinite(metric.value())) {
        o.addProperty("value", metric.value());
      } else {
        o.addProperty("value", Double.toString(metric.value()));
      }
      o.addProperty("timestamp", metric.timestamp());
      o.addProperty("step", metric.step());
      m.add(o);
    }
    body.add("metrics", m);
    body.add("params", keyValues(params));
    body.add("tags", keyValues(tags));
    post("api/2.0/mlflow/runs/log-batch", body);
  }

  /** Uploads a file through the server's artifact proxy ({@code mlflow-artifacts:} runs). */
  void putArtifact(String proxyPath, byte[] bytes) throws IOException {
    send(
        HttpRequest.newBuilder(base.resolve("api/2.0/mlflow-artifacts/artifacts/" + proxyPath))
            .timeout(Duration.ofSeconds(120))
            .header("Content-Type", "application/octet-stream")
            .PUT(HttpRequest.BodyPublishers.ofByteArray(bytes)),
        "PUT artifact " + proxyPath);
  }

  /** The server's address, for messages. */
  URI base() {
    return base;
  }

  private JsonObject get(String path) throws IOException {
    return send(HttpRequest.newBuilder(base.resolve(path)).GET(), "GET " + path);
  }

  private JsonObject post(String path, JsonObject body) throws IOException {
    return send(
        HttpRequest.newBuilder(base.resolve(path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body.toString())),
        "POST " + path);
  }

  private JsonObject send(HttpRequest.Builder request, String what) throws IOException {
    request.timeout(Duration.ofSeconds(30));
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    HttpResponse<String> response;
    try {
      response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Failure(what + ": interrupted", 0, null, e);
    } catch (IOException e) {
      throw new Failure(what + ": " + e, 0, null, e);
    }
    String text = response.body();
    if (response.statusCode() != 200) {
      String code = null;
      String message = text.length() > 300 ? text.substring(0, 300) + "..." : text;
      try {
        JsonObject error = JsonParser.parseString(text).getAsJsonObject();
        code = error.has("error_code") ? error.get("error_code").getAsString() : null;
        message = error.has("message") ? error.get("message").getAsString() : message;
      } catch (RuntimeException notJson) {
        // an HTML error page of a proxy in front of the server: its start is the message
      }
      throw new Failure(
          what
              + ": HTTP "
              + response.statusCode()
              + (code == null ? "" : " " + code)
              + " "
              + message,
          response.statusCode(),
          code,
          null);
    }
    JsonElement json = text.isBlank() ? new JsonObject() : JsonParser.parseString(text);
    return json.isJsonObject() ? json.getAsJsonObject() : new JsonObject();
  }

  private static JsonArray keyValues(Map<String, String> map) {
    JsonArray a = new JsonArray();
    map.forEach(
        (k, v) -> {
          JsonObject o = new JsonObject();
          o.addProperty("key", k);
          o.addProperty("value", v);
          a.add(o);
        });
    return a;
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
