package io.sparkddpm.tracking;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.sparkddpm.data.IdxFiles;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real MLflow tracking server for tests: MLflow from PyPI in the cached virtual environment of
 * {@code submit/tracking-venv.sh} (made on first use), on 127.0.0.1 at a free port, with a SQLite
 * store and an artifact folder under {@code dir}. Also runs Python snippets in that environment
 * (TensorBoard's event reader is installed beside MLflow).
 */
public final class TrackingServer implements AutoCloseable {
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private final Process process;
  private final URI uri;
  private final Path log;

  private TrackingServer(Process process, URI uri, Path log) {
    this.process = process;
    this.uri = uri;
    this.log = log;
  }

  /** The venv's bin folder, made by submit/tracking-venv.sh on first use (a few minutes). */
  public static Path venvBin() throws IOException, InterruptedException {
    Path project = IdxFiles.projectDir();
    Process p =
        new ProcessBuilder("bash", project.resolve("submit/tracking-venv.sh").toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    if (!p.waitFor(20, TimeUnit.MINUTES) || p.exitValue() != 0) {
      throw new IllegalStateException("submit/tracking-venv.sh failed: " + out);
    }
    return Path.of(out);
  }

  /** A port nothing listens on at the moment. */
  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** Starts a server storing into {@code dir} and waits (up to 120 s) until it answers. */
  public static TrackingServer start(Path dir) throws IOException, InterruptedException {
    Path bin = venvBin();
    Files.createDirectories(dir);
    int port = freePort();
    Path log = dir.resolve("server.log");
    Process p =
        new ProcessBuilder(
                bin.resolve("mlflow").toString(),
                "server",
                "--backend-store-uri",
                "sqlite:///" + dir.toAbsolutePath().resolve("mlflow.db"),
                "--artifacts-destination",
                dir.toAbsolutePath().resolve("artifacts").toString(),
                "--host",
                "127.0.0.1",
                "--port",
                Integer.toString(port),
                "--workers",
                "1")
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    TrackingServer server = new TrackingServer(p, URI.create("http://127.0.0.1:" + port), log);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) {
        throw new IllegalStateException("mlflow server exited: " + Files.readString(log));
      }
      try {
        HttpResponse<String> r =
            HTTP.send(
                HttpRequest.newBuilder(server.uri.resolve("/health")).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          return server;
        }
      } catch (IOException notYet) {
        // still starting
      }
      Thread.sleep(250);
    }
    server.close();
    throw new IllegalStateException(
        "mlflow server did not answer in 120 s: " + Files.readString(log));
  }

  /** The server's address, as --mlflow-uri takes it. */
  public String uri() {
    return uri.toString();
  }

  /** GET {@code path} (with its query) of the REST API; the answer as JSON. */
  public JsonObject get(String path) throws IOException, InterruptedException {
    return send(HttpRequest.newBuilder(uri.resolve(path)).GET().build());
  }

  /** POST a JSON body to {@code path} of the REST API. */
  public JsonObject post(String path, String json) throws IOException, InterruptedException {
    return send(
        HttpRequest.newBuilder(uri.resolve(path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .build());
  }

  private JsonObject send(HttpRequest request) throws IOException, InterruptedException {
    HttpResponse<String> r = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IOException(request.uri() + ": HTTP " + r.statusCode() + " " + r.body());
    }
    JsonElement json = JsonParser.parseString(r.body());
    return json.getAsJsonObject();
  }

  /** Runs {@code script} with the venv's Python; its standard output. */
  public static String python(String script, String... args)
      throws IOException, InterruptedException {
    List<String> cmd =
        new ArrayList<>(List.of(venvBin().resolve("python").toString(), "-c", script));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
      throw new IllegalStateException("python failed: " + out);
    }
    return out;
  }

  /**
   * TensorBoard's own event reader (EventAccumulator) on the log folder {@code dir}: {"scalars":
   * {tag: [[step, value], ...]}, "images": {tag: [[step, width, height, bytes], ...]}}.
   */
  public static JsonObject readTensorBoard(Path dir) throws Exception {
    Path script = Path.of(TrackingServer.class.getResource("/tracking/read_events.py").toURI());
    return JsonParser.parseString(python(Files.readString(script), dir.toString()))
        .getAsJsonObject();
  }

  /** Stops the server and its worker processes (SIGTERM, then SIGKILL after 5 s). */
  @Override
  public void close() {
    process.descendants().forEach(ProcessHandle::destroy);
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        kill();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Kills the server at once (SIGKILL), as a crash would. */
  public void kill() {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The server's log, for failure messages. */
  public Path log() {
    return log;
  }
}
