package io.sparkddpm.tracking;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.sparkddpm.cli.GracefulStop;
import io.sparkddpm.io.HadoopFiles;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One MLflow run, logged from the driver by a background thread through a bounded queue: the job's
 * thread only enqueues, so a slow or absent server never holds up a training step. A server that
 * cannot be reached or answers 429/5xx is warned about once and retried with backoff (0.5 s
 * doubling, at most 30 s apart) while calls wait in the queue (beyond {@value #QUEUE} they are
 * dropped and counted); other errors drop the call. {@link #close} gives the queue 30 s and says
 * what could not be logged. With {@code --mlflow-required} the start must succeed and a call that
 * still fails after five tries fails the job, naming the server.
 */
public final class MlflowRun implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(MlflowRun.class);
  private static final int QUEUE = 10_000;
  private static final int ATTEMPTS = 5;
  private static final long FIRST_DELAY_MS = 500;
  private static final long MAX_DELAY_MS = 30_000;
  private static final long DRAIN_SECONDS = 30;
  private static final long STOPPING_DRAIN_SECONDS = 5;

  /**
   * What to start or continue.
   *
   * @param experiment experiment name; empty = the parent run's experiment, else {@link
   *     TrackingOptions#DEFAULT_EXPERIMENT}
   * @param runName the run's display name
   * @param resumeRunId a run to continue (its status goes back to RUNNING), or null for a new one
   * @param tags tags set at creation (and again when a run is continued)
   * @param parentRunId the run this one derives from (MLflow's {@code mlflow.parentRunId} tag), or
   *     null
   */
  public record Spec(
      String experiment,
      String runName,
      String resumeRunId,
      Map<String, String> tags,
      String parentRunId) {}

  private interface Call {
    void run(MlflowRun run) throws IOException;
  }

  /** A queued call and what it would have logged, for the report when it could not be. */
  private record Op(String what, int values, Call call) {}

  private static final Op STOP = new Op("stop", 0, run -> {});

  private final MlflowRest rest;
  private final Configuration conf;
  private final Spec spec;
  private final boolean required;
  private final BlockingQueue<Op> queue = new ArrayBlockingQueue<>(QUEUE);
  private final Thread worker;
  private final List<MlflowRest.Metric> pending = new ArrayList<>();
  private final Map<String, Integer> unlogged = new LinkedHashMap<>();

  private volatile String runId;
  private volatile String experimentId;
  private volatile String artifactUri;
  private volatile Map<String, String> existingParams = Map.of();
  private volatile String fatal;
  private volatile boolean closing;
  private boolean down;
  private boolean warned;

  private MlflowRun(TrackingOptions options, Configuration conf, Spec spec) {
    this.rest = new MlflowRest(options.mlflowUri(), options.env());
    this.conf = conf;
    this.spec = spec;
    this.required = options.required();
    this.worker = new Thread(this::work, "mlflow-logger");
    worker.setDaemon(true); // a hung server never keeps the driver's JVM alive
  }

  /**
   * Starts (or continues) the run: one attempt now, so that the run id is known to the first
   * checkpoint; if the server cannot be reached the background thread keeps trying, unless {@code
   * --mlflow-required}, which throws {@link IllegalStateException} naming the server.
   */
  public static MlflowRun start(TrackingOptions options, Configuration conf, Spec spec) {
    MlflowRun run = new MlflowRun(options, conf, spec);
    try {
      run.open();
    } catch (IOException e) {
      if (run.required) {
        throw new IllegalStateException(
            "--mlflow-required: the MLflow tracking server "
                + options.mlflowUri()
                + " cannot be used: "
                + e.getMessage(),
            e);
      }
      run.warnOnce(e);
      run.down = true;
    }
    run.worker.start();
    return run;
  }

  /** The run's id, or null while the server has not been reached. */
  public String runId() {
    return runId;
  }

  /** The experiment's id, or null while the server has not been reached. */
  public String experimentId() {
    return experimentId;
  }

  /** The server's address. */
  public String uri() {
    return rest.base().toString();
  }

  /**
   * Logs params. Params cannot change in MLflow: in a continued run a param whose value differs
   * from the logged one is kept as the tag {@code changed.<name>} ("new (was old)") instead.
   */
  public void params(Map<String, String> params) {
    Map<String, String> copy = new LinkedHashMap<>(params);
    enqueue(
        new Op(
            copy.size() + " params",
            copy.size(),
            run -> {
              Map<String, String> fresh = new LinkedHashMap<>();
              Map<String, String> changed = new LinkedHashMap<>();
              copy.forEach(
                  (k, v) -> {
                    String was = run.existingParams.get(k);
                    if (was == null) {
                      fresh.put(k, truncate(v, 6000));
                    } else if (!was.equals(v)) {
                      changed.put("changed." + k, truncate(v + " (was " + was + ")", 5000));
                    }
                  });
              for (List<Map.Entry<String, String>> part : chunks(fresh, 100)) {
                run.rest.logBatch(run.runId, List.of(), asMap(part), Map.of());
              }
              for (List<Map.Entry<String, String>> part : chunks(changed, 100)) {
                run.rest.logBatch(run.runId, List.of(), Map.of(), asMap(part));
              }
            }));
  }

  /** Sets tags (these may change: a continued run overwrites them). */
  public void tags(Map<String, String> tags) {
    Map<String, String> copy = new LinkedHashMap<>(tags);
    enqueue(
        new Op(
            copy.size() + " tags",
            copy.size(),
            run -> {
              for (List<Map.Entry<String, String>> part : chunks(copy, 100)) {
                run.rest.logBatch(run.runId, List.of(), Map.of(), asMap(part));
              }
            }));
  }

  /** Adds metric values at {@code step}; they are sent at the next {@link #flush}. */
  public void metrics(long step, Map<String, Double> values) {
    long now = System.currentTimeMillis();
    values.forEach((k, v) -> pending.add(new MlflowRest.Metric(k, v, now, step)));
  }

  /** Sends the metric values added since the last flush, in calls of at most 1000. */
  public void flush() {
    for (int from = 0; from < pending.size(); from += 1000) {
      List<MlflowRest.Metric> part =
          List.copyOf(pending.subList(from, Math.min(pending.size(), from + 1000)));
      enqueue(
          new Op(
              "metric values",
              part.size(),
              run -> run.rest.logBatch(run.runId, part, Map.of(), Map.of())));
    }
    pending.clear();
  }

  /**
   * Uploads a file or, recursively, a folder of any Hadoop file system under {@code artifactPath};
   * it is read when its turn comes, so a file rewritten meanwhile goes up as it is then.
   */
  public void artifact(Path source, String artifactPath) {
    enqueue(new Op("artifact " + artifactPath, 1, run -> run.upload(source, artifactPath)));
  }

  /** Uploads {@code bytes} as the artifact {@code artifactPath}. */
  public void artifact(byte[] bytes, String artifactPath) {
    enqueue(new Op("artifact " + artifactPath, 1, run -> run.putArtifact(artifactPath, bytes)));
  }

  /**
   * Ends the run (FINISHED, or FAILED when {@code succeeded} is false), waits up to 30 s (5 s when
   * the job is stopping on a signal) for the queue to drain, and returns one line on what was
   * logged; anything that could not be is also logged as a warning.
   */
  @Override
  public void close() {
    close(true);
  }

  /** See {@link #close()}; returns the report line. */
  public String close(boolean succeeded) {
    flush();
    String status = succeeded ? "FINISHED" : "FAILED";
    Op end = new Op("status updates", 1, run -> run.rest.updateRun(run.runId, status));
    if (!queue.offer(end)) {
      count(end);
    }
    queue.offer(STOP);
    closing = true; // a call waiting out a backoff gives up; the rest get one try each
    java.util.concurrent.locks.LockSupport.unpark(worker);
    try {
      // A job stopping on SIGTERM has GracefulStop.BOUND for everything: tracking gets a share.
      long drain = GracefulStop.requested() ? STOPPING_DRAIN_SECONDS : DRAIN_SECONDS;
      worker.join(TimeUnit.SECONDS.toMillis(drain));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    worker.interrupt();
    for (Op left; (left = queue.poll()) != null; ) {
      count(left);
    }
    String report;
    synchronized (unlogged) {
      if (unlogged.isEmpty()) {
        report = "MLflow run " + runId + " at " + uri() + ": everything logged";
      } else {
        List<String> parts = new ArrayList<>();
        unlogged.forEach((what, n) -> parts.add(n + " " + what));
        report =
            "MLflow tracking server "
                + uri()
                + (runId == null ? "" : " (run " + runId + ")")
                + ": could not log "
                + String.join(", ", parts);
      }
    }
    if (report.contains("could not log")) {
      LOG.warn(report);
    } else {
      LOG.info(report);
    }
    if (required && fatal != null && succeeded) {
      throw new IllegalStateException(fatal);
    }
    return report;
  }

  /** Gets or creates the experiment, then creates the run or continues {@code resumeRunId}. */
  private void open() throws IOException {
    experimentId = null;
    Map<String, String> tags = new LinkedHashMap<>(spec.tags());
    if (spec.parentRunId() != null) {
      tags.put("mlflow.parentRunId", spec.parentRunId());
      if (spec.experiment().isEmpty()) {
        try { // a child shows under its parent in MLflow's UI when both share the experiment
          experimentId =
              rest.getRun(spec.parentRunId())
                  .getAsJsonObject("info")
                  .get("experiment_id")
                  .getAsString();
        } catch (MlflowRest.Failure e) {
          if (!"RESOURCE_DOES_NOT_EXIST".equals(e.errorCode)) {
            throw e;
          }
          LOG.warn("MLflow: parent run {} is not on {}", spec.parentRunId(), uri());
        }
      }
    }
    if (experimentId == null) {
      experimentId =
          rest.experimentId(
              spec.experiment().isEmpty() ? TrackingOptions.DEFAULT_EXPERIMENT : spec.experiment());
    }
    JsonObject info = null;
    if (spec.resumeRunId() != null) {
      try {
        JsonObject r = rest.getRun(spec.resumeRunId());
        info = r.getAsJsonObject("info");
        Map<String, String> params = new LinkedHashMap<>();
        JsonObject data = r.getAsJsonObject("data");
        if (data != null && data.has("params")) {
          for (JsonElement p : data.getAsJsonArray("params")) {
            JsonObject o = p.getAsJsonObject();
            params.put(o.get("key").getAsString(), o.get("value").getAsString());
          }
        }
        existingParams = params;
        experimentId = info.get("experiment_id").getAsString();
        rest.updateRun(spec.resumeRunId(), "RUNNING");
        rest.logBatch(spec.resumeRunId(), List.of(), Map.of(), tags);
        LOG.info("MLflow: continuing run {} at {}", spec.resumeRunId(), uri());
      } catch (MlflowRest.Failure e) {
        if (!"RESOURCE_DOES_NOT_EXIST".equals(e.errorCode)) {
          throw e;
        }
        LOG.warn(
            "MLflow: run {} of the checkpoint is not on {}; starting a new run",
            spec.resumeRunId(),
            uri());
        info = null;
      }
    }
    if (info == null) {
      info = rest.createRun(experimentId, spec.runName(), tags);
      LOG.info(
          "MLflow: run {} in experiment {} at {}",
          info.get("run_id").getAsString(),
          experimentId,
          uri());
    }
    artifactUri = info.get("artifact_uri").getAsString();
    runId = info.get("run_id").getAsString();
  }

  private void work() {
    while (true) {
      Op op;
      try {
        op = queue.take();
      } catch (InterruptedException e) {
        return;
      }
      if (op == STOP) {
        return;
      }
      if (!attempt(op)) {
        count(op);
      }
    }
  }

  /** Runs one call, retrying while the server is unreachable; false when it could not be done. */
  private boolean attempt(Op op) {
    long delay = FIRST_DELAY_MS;
    for (int i = 1; ; i++) {
      try {
        if (runId == null) {
          open();
        }
        op.call().run(this);
        if (down) {
          down = false;
          LOG.info("MLflow tracking server {} answers again; logging goes on", uri());
        }
        return true;
      } catch (MlflowRest.Failure e) {
        warnOnce(e);
        if (e.retryable()) {
          down = true;
        }
        if (required && (!e.retryable() || i >= ATTEMPTS)) {
          fatal =
              "--mlflow-required: the MLflow tracking server "
                  + uri()
                  + " failed: "
                  + e.getMessage();
          return false;
        }
        if (!e.retryable() || closing) {
          return false;
        }
      } catch (IOException | RuntimeException e) {
        warnOnce(e); // an unreadable local file to upload, say: not the server's fault
        return false;
      }
      long until = System.nanoTime() + delay * 1_000_000;
      while (!closing && System.nanoTime() < until) {
        java.util.concurrent.locks.LockSupport.parkNanos(until - System.nanoTime());
        if (Thread.interrupted()) {
          return false;
        }
      }
      delay = Math.min(2 * delay, MAX_DELAY_MS);
    }
  }

  private void warnOnce(Exception e) {
    if (!warned) {
      warned = true;
      LOG.warn(
          "MLflow tracking server {} cannot be used ({}); the job goes on, logging is retried in"
              + " the background and what could not be logged is reported at the end",
          uri(),
          e.getMessage());
    }
  }

  private void enqueue(Op op) {
    if (required && fatal != null) {
      throw new IllegalStateException(fatal);
    }
    if (!queue.offer(op)) {
      count(op); // the server is too slow for the job: dropped, not waited for
    }
  }

  private void count(Op op) {
    if (op == STOP) {
      return;
    }
    String what = op.what().startsWith("artifact ") ? "artifacts" : op.what();
    if (op.what().endsWith(" params")) {
      what = "params";
    } else if (op.what().endsWith(" tags")) {
      what = "tags";
    }
    synchronized (unlogged) {
      unlogged.merge(what, op.values(), Integer::sum);
    }
  }

  private void upload(Path source, String artifactPath) throws IOException {
    FileSystem fs = source.getFileSystem(conf);
    FileStatus status = fs.getFileStatus(source);
    if (status.isDirectory()) {
      for (FileStatus child : fs.listStatus(source)) {
        upload(child.getPath(), artifactPath + "/" + child.getPath().getName());
      }
    } else {
      putArtifact(artifactPath, HadoopFiles.read(conf, source));
    }
  }

  /**
   * Through the server's artifact proxy for {@code mlflow-artifacts:} runs (the default of {@code
   * mlflow server}); for a server that hands out its store's own URI, straight into it with Hadoop
   * (file:, hdfs:, s3 as s3a:).
   */
  private void putArtifact(String artifactPath, byte[] bytes) throws IOException {
    String uri = artifactUri;
    if (uri.startsWith("mlflow-artifacts:")) {
      String rest = uri.substring("mlflow-artifacts:".length());
      if (rest.startsWith("//")) { // mlflow-artifacts://host:port/path
        int slash = rest.indexOf('/', 2);
        rest = slash < 0 ? "" : rest.substring(slash);
      }
      rest = rest.replaceAll("^/+", "");
      this.rest.putArtifact(rest + "/" + artifactPath, bytes);
    } else {
      String hadoop = uri.startsWith("s3://") ? "s3a://" + uri.substring(5) : uri;
      HadoopFiles.write(conf, new Path(hadoop + "/" + artifactPath), bytes);
    }
  }

  private static String truncate(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max);
  }

  private static List<List<Map.Entry<String, String>>> chunks(Map<String, String> map, int n) {
    List<List<Map.Entry<String, String>>> out = new ArrayList<>();
    List<Map.Entry<String, String>> all = new ArrayList<>(map.entrySet());
    for (int i = 0; i < all.size(); i += n) {
      out.add(all.subList(i, Math.min(all.size(), i + n)));
    }
    return out;
  }

  private static Map<String, String> asMap(List<Map.Entry<String, String>> entries) {
    Map<String, String> m = new LinkedHashMap<>();
    entries.forEach(e -> m.put(e.getKey(), e.getValue()));
    return m;
  }
}
