package io.sparkddpm.tracking;

import io.sparkddpm.base.BadInputException;
import java.net.URI;
import java.util.Map;

/**
 * Where a job reports, resolved from its options ({@code --mlflow-uri}, {@code
 * --mlflow-experiment}, {@code --mlflow-required}, and for training {@code --mlflow-log-model},
 * {@code --tensorboard-dir}) and, as MLflow's own clients do, from {@code MLFLOW_TRACKING_URI} and
 * {@code MLFLOW_EXPERIMENT_NAME} when an option is empty.
 *
 * @param mlflowUri the tracking server, or null when MLflow tracking is off
 * @param experiment experiment name; empty = the training run's experiment, else {@link
 *     #DEFAULT_EXPERIMENT}
 * @param required fail the job (exit 1) instead of going on when the server cannot be reached
 * @param logModel upload the final checkpoint as artifacts, not only its path as a tag
 * @param tensorboardDir folder for TensorBoard event files (any Hadoop path), or empty
 * @param env the environment the values were read from (credentials for the server)
 */
public record TrackingOptions(
    URI mlflowUri,
    String experiment,
    boolean required,
    boolean logModel,
    String tensorboardDir,
    Map<String, String> env) {
  /** The experiment of runs that name none and have no tracked training run to follow. */
  public static final String DEFAULT_EXPERIMENT = "spark-ddpm";

  /** Validates: --mlflow-required needs a URI, the URI must be http(s). */
  public TrackingOptions {
    BadInputException.check(
        !required || mlflowUri != null,
        "--mlflow-required needs --mlflow-uri or MLFLOW_TRACKING_URI");
    if (mlflowUri != null) {
      String scheme = mlflowUri.getScheme();
      BadInputException.check(
          ("http".equals(scheme) || "https".equals(scheme)) && mlflowUri.getHost() != null,
          "--mlflow-uri must be an http:// or https:// tracking server, got \"" + mlflowUri + "\"");
    }
    env = Map.copyOf(env);
  }

  /** Nothing tracked. */
  public static TrackingOptions off() {
    return new TrackingOptions(null, "", false, false, "", Map.of());
  }

  /**
   * Reads the tracking options out of a job's resolved option values (absent keys count as empty:
   * SampleJob and EvaluateJob declare no TensorBoard folder); {@code env} fills empty ones.
   */
  public static TrackingOptions of(Map<String, String> values, Map<String, String> env) {
    String uri = values.getOrDefault("mlflow-uri", "").trim();
    if (uri.isEmpty()) {
      uri = env.getOrDefault("MLFLOW_TRACKING_URI", "").trim();
    }
    String experiment = values.getOrDefault("mlflow-experiment", "").trim();
    if (experiment.isEmpty()) {
      experiment = env.getOrDefault("MLFLOW_EXPERIMENT_NAME", "").trim();
    }
    URI parsed = null;
    if (!uri.isEmpty()) {
      try {
        parsed = new URI(uri);
      } catch (java.net.URISyntaxException e) {
        throw new BadInputException("--mlflow-uri: not a URI: \"" + uri + "\"");
      }
    }
    return new TrackingOptions(
        parsed,
        experiment,
        Boolean.parseBoolean(values.getOrDefault("mlflow-required", "false")),
        Boolean.parseBoolean(values.getOrDefault("mlflow-log-model", "false")),
        values.getOrDefault("tensorboard-dir", "").trim(),
        env);
  }

  /** Whether runs go to an MLflow server. */
  public boolean mlflow() {
    return mlflowUri != null;
  }
}
