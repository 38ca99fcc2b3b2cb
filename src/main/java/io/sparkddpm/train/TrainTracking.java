package io.sparkddpm.train;

import io.sparkddpm.cli.HadoopPaths;
import io.sparkddpm.tracking.JobRun;
import io.sparkddpm.tracking.MlflowRun;
import io.sparkddpm.tracking.TensorBoardEvents;
import io.sparkddpm.tracking.TrackingOptions;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a training run reports to MLflow and TensorBoard, from the driver: the resolved options as
 * params; every step's loss, lr, images/s, overhead (step_s - compute_s) and recomputed_steps, sent
 * every {@code --log-every} steps with the step as MLflow's step; loss.png at checkpoints and at
 * the end; epoch grids (MLflow artifacts, TensorBoard images); the final checkpoint's path as a
 * tag, or the checkpoint itself with {@code --mlflow-log-model}. Tracking never changes what is
 * trained: a TensorBoard folder that fails is warned about and left, a server is dealt with by
 * {@link MlflowRun}.
 */
final class TrainTracking implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TrainTracking.class);

  private final TrackingOptions options;
  private final Configuration conf;
  private final TrainConfig cfg;
  private final Map<String, String> provenance;
  private final Path output;
  private MlflowRun mlflow;
  private TensorBoardEvents tensorboard;
  private boolean succeeded;

  TrainTracking(
      TrackingOptions options,
      Configuration conf,
      TrainConfig cfg,
      Map<String, String> provenance) {
    this.options = options;
    this.conf = conf;
    this.cfg = cfg;
    this.provenance = provenance;
    this.output = new Path(cfg.output());
  }

  /** Tracks nothing. */
  static TrainTracking off(Configuration conf, TrainConfig cfg) {
    return new TrainTracking(TrackingOptions.off(), conf, cfg, Map.of());
  }

  /**
   * Starts the MLflow run, or continues {@code resumeRunId} (from the checkpoint's trainer state),
   * and opens a TensorBoard event file; called once the run's position is known.
   */
  void begin(String resumeRunId, long startStep) throws IOException {
    if (options.mlflow()) {
      Map<String, String> tags = new LinkedHashMap<>();
      tags.put("mlflow.source.name", "TrainJob");
      tags.put("mlflow.source.type", "JOB");
      tags.put("spark.application_id", provenance.getOrDefault("application_id", ""));
      tags.put("spark.master", provenance.getOrDefault("master", ""));
      tags.put("partitions", provenance.getOrDefault("partitions", ""));
      tags.put("mode", cfg.mode().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
      tags.put("code_version", provenance.getOrDefault("code_version", ""));
      tags.put("data", cfg.data());
      tags.put("output", cfg.output());
      if (startStep > 0) {
        tags.put("resumed_from_step", Long.toString(startStep));
      }
      String experiment =
          options.experiment().isEmpty()
              ? TrackingOptions.DEFAULT_EXPERIMENT
              : options.experiment();
      mlflow =
          MlflowRun.start(
              options,
              conf,
              new MlflowRun.Spec(
                  options.experiment(),
                  JobRun.runName("TrainJob", cfg.output()),
                  resumeRunId,
                  tags,
                  null));
      Map<String, String> params = new LinkedHashMap<>(cfg.values());
      params.remove("config");
      params.put("rows", provenance.getOrDefault("rows", ""));
      mlflow.params(params);
    }
    if (!options.tensorboardDir().isEmpty()) {
      Path dir = HadoopPaths.check(conf, "--tensorboard-dir", options.tensorboardDir());
      tensorboard = new TensorBoardEvents(conf, dir);
      LOG.info("TensorBoard events: {}", tensorboard.file());
    }
  }

  /** The MLflow run's id (stored in checkpoints, so a resumed run continues it), or null. */
  String runId() {
    return mlflow == null ? null : mlflow.runId();
  }

  /** One completed step ({@code step} counts from 1). */
  void step(
      long step,
      double loss,
      double lr,
      double imagesPerSecond,
      double overheadSeconds,
      long recomputedSteps) {
    if (mlflow == null && tensorboard == null) {
      return;
    }
    Map<String, Double> values = new LinkedHashMap<>();
    values.put("loss", loss);
    values.put("lr", lr);
    values.put("images_per_s", imagesPerSecond);
    values.put("overhead_s", overheadSeconds);
    values.put("recomputed_steps", (double) recomputedSteps);
    if (mlflow != null) {
      mlflow.metrics(step, values);
    }
    if (tensorboard != null) {
      try {
        tensorboard.scalars(step, values);
      } catch (IOException e) {
        tensorboardFailed(e);
      }
    }
  }

  /** Sends what the steps since the last flush recorded (every {@code --log-every} steps). */
  void flush() {
    if (mlflow != null) {
      mlflow.flush();
    }
    if (tensorboard != null) {
      try {
        tensorboard.flush();
      } catch (IOException e) {
        tensorboardFailed(e);
      }
    }
  }

  /** A checkpoint was written to {@code dir}. */
  void checkpoint(Path dir) {
    if (mlflow != null) {
      mlflow.flush();
      mlflow.tags(Map.of("last_checkpoint", dir.toString()));
      mlflow.artifact(new Path(output, "loss.png"), "loss.png");
    }
  }

  /** The sample grid after epoch {@code epoch} (counting from 1), at step {@code step}. */
  void epochGrid(int epoch, long step, byte[] png) {
    String name = String.format("samples/epoch-%03d.png", epoch);
    if (mlflow != null) {
      mlflow.artifact(png, name);
    }
    if (tensorboard != null) {
      try {
        tensorboard.image(step, "samples", png);
        tensorboard.flush();
      } catch (IOException e) {
        tensorboardFailed(e);
      }
    }
  }

  /** The run ended with the final checkpoint in {@code fin}. */
  void finish(Path fin) {
    if (mlflow != null) {
      mlflow.flush();
      mlflow.tags(Map.of("final_checkpoint", fin.toString()));
      mlflow.artifact(new Path(output, "loss.png"), "loss.png");
      mlflow.artifact(new Path(output, "metrics.jsonl"), "metrics.jsonl");
      if (options.logModel()) {
        mlflow.artifact(fin, "final");
      }
    }
    succeeded = true;
  }

  /** Ends the MLflow run (FAILED unless {@link #finish} was reached) and closes TensorBoard. */
  @Override
  public void close() {
    if (tensorboard != null) {
      try {
        tensorboard.close();
      } catch (IOException e) {
        tensorboardFailed(e);
      }
    }
    if (mlflow != null) {
      mlflow.close(succeeded);
    }
  }

  private void tensorboardFailed(IOException e) {
    LOG.warn(
        "TensorBoard events {} could not be written ({}); training goes on without them",
        tensorboard.file(),
        e.toString());
    try {
      tensorboard.close();
    } catch (IOException ignored) {
      // already failing
    }
    tensorboard = null;
  }
}
