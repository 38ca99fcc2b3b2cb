package io.sparkddpm.tracking;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.sparkddpm.io.HadoopFiles;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * The MLflow run of a one-shot job (SampleJob, EvaluateJob): started before the job's work, with
 * the job's options as params and the training run the model came from as its parent; the job adds
 * its metrics and artifacts when done. Does nothing when tracking is off.
 */
public final class JobRun implements AutoCloseable {
  private final MlflowRun run; // null when off
  private boolean succeeded;

  private JobRun(MlflowRun run) {
    this.run = run;
  }

  /**
   * Starts the run of {@code job} writing {@code output}; {@code parentRunId} (may be null) is the
   * training run whose model the job used.
   */
  public static JobRun start(
      TrackingOptions options,
      Configuration conf,
      String job,
      String output,
      String parentRunId,
      Map<String, String> tags,
      Map<String, String> params) {
    if (!options.mlflow()) {
      return new JobRun(null);
    }
    Map<String, String> all = new LinkedHashMap<>(tags);
    all.put("mlflow.source.name", job);
    all.put("mlflow.source.type", "JOB");
    all.put("output", output);
    if (parentRunId != null) {
      all.put("training_run_id", parentRunId);
    }
    MlflowRun run =
        MlflowRun.start(
            options,
            conf,
            new MlflowRun.Spec(options.experiment(), runName(job, output), null, all, parentRunId));
    Map<String, String> p = new LinkedHashMap<>(params);
    p.remove("config");
    run.params(p);
    return new JobRun(run);
  }

  /**
   * A run's display name: the job and the last two parts of its output path ("train 2026-11-26/
   * train", "sample out/samples"), which tell the runs of one folder tree apart.
   */
  public static String runName(String job, String output) {
    Path out = new Path(output);
    Path parent = out.getParent();
    String where =
        parent == null || parent.getName().isEmpty()
            ? out.getName()
            : parent.getName() + "/" + out.getName();
    return job.replace("Job", "").toLowerCase(java.util.Locale.ROOT) + " " + where;
  }

  /**
   * The MLflow run id stored in the trainer state of checkpoint {@code model}, or null when it has
   * none (not a tracked run, a bare UNet folder, unreadable: the job itself reports on the model).
   */
  public static String trainingRunOf(Configuration conf, String model) {
    try {
      Path state = new Path(model, "trainer_state.json");
      if (!state.getFileSystem(conf).exists(state)) {
        return null;
      }
      JsonObject o = JsonParser.parseString(HadoopFiles.readText(conf, state)).getAsJsonObject();
      return o.has("mlflow_run_id") ? o.get("mlflow_run_id").getAsString() : null;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** The training run of a SampleJob output: its sample_info.json names the checkpoint. */
  public static String trainingRunOfSamples(Configuration conf, String samples) {
    try {
      Path info = new Path(samples, "sample_info.json");
      if (!info.getFileSystem(conf).exists(info)) {
        return null;
      }
      JsonObject o = JsonParser.parseString(HadoopFiles.readText(conf, info)).getAsJsonObject();
      return o.has("checkpoint") ? trainingRunOf(conf, o.get("checkpoint").getAsString()) : null;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** Logs {@code values} as metrics (step 0). */
  public void metrics(Map<String, Double> values) {
    if (run != null) {
      run.metrics(0, values);
    }
  }

  /** Uploads the output file {@code file} under its own name. */
  public void artifact(Path file) {
    if (run != null) {
      run.artifact(file, file.getName());
    }
  }

  /** Marks the job as done: the run ends FINISHED rather than FAILED. */
  public void succeeded() {
    succeeded = true;
  }

  /** The run's id, or null (off, or the server not reached yet). */
  public String runId() {
    return run == null ? null : run.runId();
  }

  @Override
  public void close() {
    if (run != null) {
      run.close(succeeded);
    }
  }
}
