package io.sparkddpm.train;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.sparkddpm.io.HadoopFiles;
import io.sparkddpm.io.LossCurve;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * The run's per-step record, {@code metrics.jsonl} (one JSON object a line: step, epoch, loss, lr,
 * images_per_s, seconds since start, step_s, compute_s, tasks_s, update_s, recomputed_steps; the
 * step's times to the microsecond, so that a change of the overhead under a millisecond shows), and
 * its loss-curve PNG. Rewritten whole at each flush, since not every Hadoop file system can append,
 * and replaced by a rename so that a driver killed mid-flush leaves the previous file for the
 * resumed run to read; on resume, lines after the checkpoint's step are dropped.
 */
final class Metrics {
  private final Configuration conf;
  private final Path file;
  private final Path curve;
  private final List<String> lines = new ArrayList<>();
  private final List<Long> steps = new ArrayList<>();
  private final List<Double> losses = new ArrayList<>();

  /** Steps of this run computed twice because the first result was not finite; see Trainer. */
  private long recomputedSteps;

  Metrics(Configuration conf, Path output, long resumeStep) throws IOException {
    this.conf = conf;
    this.file = new Path(output, "metrics.jsonl");
    this.curve = new Path(output, "loss.png");
    if (resumeStep > 0 && file.getFileSystem(conf).exists(file)) {
      for (String line : HadoopFiles.readText(conf, file).split("\n")) {
        if (line.isBlank()) {
          continue;
        }
        JsonObject o = JsonParser.parseString(line).getAsJsonObject();
        long step = o.get("step").getAsLong();
        if (step <= resumeStep) {
          add(line, step, o.get("loss").getAsDouble());
          // Cumulative over the run, resumes included; lines before the field existed count 0.
          recomputedSteps =
              o.has("recomputed_steps") ? o.get("recomputed_steps").getAsLong() : recomputedSteps;
        }
      }
    }
  }

  private void add(String line, long step, double loss) {
    lines.add(line);
    steps.add(step);
    losses.add(loss);
  }

  /** Counts one step whose first computation was not finite and was computed again. */
  void countRecomputedStep() {
    recomputedSteps++;
  }

  /**
   * Records one completed step ({@code step} counts from 1). {@code stepSeconds} is the step's wall
   * time on the driver, {@code computeSeconds} the slowest task's own gradient computation in it,
   * {@code taskSeconds} all tasks' computations added up, {@code updateSeconds} the driver's own
   * part after the partials arrived (their sum, clipping, Adam, EMA).
   */
  void record(
      long step,
      int epoch,
      double loss,
      double lr,
      double imagesPerSecond,
      double seconds,
      double stepSeconds,
      double computeSeconds,
      double taskSeconds,
      double updateSeconds) {
    JsonObject o = new JsonObject();
    o.addProperty("step", step);
    o.addProperty("epoch", epoch);
    o.addProperty("loss", loss);
    o.addProperty("lr", lr);
    o.addProperty("images_per_s", Math.round(imagesPerSecond * 10) / 10.0);
    o.addProperty("seconds", Math.round(seconds * 1000) / 1000.0);
    o.addProperty("step_s", Math.round(stepSeconds * 1e6) / 1e6);
    o.addProperty("compute_s", Math.round(computeSeconds * 1e6) / 1e6);
    o.addProperty("tasks_s", Math.round(taskSeconds * 1e6) / 1e6);
    o.addProperty("update_s", Math.round(updateSeconds * 1e6) / 1e6);
    o.addProperty("recomputed_steps", recomputedSteps);
    add(o.toString(), step, loss);
  }

  /** Writes metrics.jsonl and loss.png. */
  void flush() throws IOException {
    HadoopFiles.replaceText(conf, file, String.join("\n", lines) + "\n");
    long[] s = new long[steps.size()];
    double[] l = new double[losses.size()];
    for (int i = 0; i < s.length; i++) {
      s[i] = steps.get(i);
      l[i] = losses.get(i);
    }
    if (s.length > 0) {
      HadoopFiles.replace(conf, curve, LossCurve.render(s, l));
    }
  }

  /** Steps computed twice so far, over the run and its resumes. */
  long recomputedSteps() {
    return recomputedSteps;
  }

  /** Losses recorded so far, in step order. */
  List<Double> losses() {
    return losses;
  }
}
