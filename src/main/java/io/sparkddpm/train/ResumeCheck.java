package io.sparkddpm.train;

import com.google.gson.JsonObject;
import io.sparkddpm.base.BadInputException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.Path;

/**
 * What a resumed run must keep from the checkpoint it continues: the data order (so every step sees
 * the images it would have seen) and the training recipe (so the optimizer continues the same
 * trajectory). A resumed run that changes one is refused, naming the option.
 */
final class ResumeCheck {
  private ResumeCheck() {}

  /**
   * The options a resumed run must keep, and the values of those that checkpoints written before
   * the option existed were trained with (their {@code trainer_state.json} lacks the key).
   */
  private static final Map<String, String> KEPT_ON_RESUME = keptOnResume();

  /** Stands for the model's sample_size in {@link #KEPT_ON_RESUME}. */
  private static final String SAMPLE_SIZE = "<sample_size>";

  private static Map<String, String> keptOnResume() {
    Map<String, String> m = new LinkedHashMap<>();
    // the data order
    for (String key : List.of("seed", "batch-size", "limit", "pixel-range", "data")) {
      m.put(key, null);
    }
    // the preprocessing: checkpoints from before these options trained at their sample_size
    // (28x28 resized to 32), with neither crops (square images) nor flips
    m.put("resolution", SAMPLE_SIZE);
    m.put("center-crop", "false");
    m.put("random-flip", "false");
    m.put("image-column", "image");
    m.put("label-column", "label");
    // the recipe: learning rate and optimizer
    m.put("lr", null);
    m.put("lr-scheduler", "constant");
    m.put("lr-warmup-steps", "0");
    m.put("lr-num-cycles", "1");
    m.put("lr-power", "1.0");
    m.put("adam-beta1", "0.9");
    m.put("adam-beta2", "0.999");
    m.put("adam-weight-decay", "0");
    m.put("adam-epsilon", "1e-8");
    // the recipe: gradient accumulation (which images form a step) and the EMA
    m.put("gradient-accumulation-steps", "1");
    m.put("ema-decay", "0");
    m.put("use-ema", "false");
    m.put("ema-inv-gamma", "1.0");
    m.put("ema-power", "0.75");
    m.put("ema-max-decay", "0.9999");
    m.put("ema-min-decay", "0");
    m.put("ema-update-after-step", "0");
    // the recipe: noise schedule and target
    m.put("prediction-type", "epsilon");
    m.put("beta-schedule", "linear");
    m.put("beta-start", "1e-4");
    m.put("beta-end", "0.02");
    m.put("num-train-timesteps", "1000");
    // the conditioning
    m.put("conditional", "false");
    m.put("cond-dropout", "0");
    // the precision the gradients are computed in
    m.put("precision", "fp32");
    return m;
  }

  /**
   * Throws a {@link BadInputException} naming the first option whose value (for a model of {@code
   * sampleSize}) differs from the one stored in {@code state} (a checkpoint's {@code
   * trainer_state.json} in {@code dir}), or the run length when the schedule depends on it.
   */
  static void refuseChanges(
      TrainConfig cfg, int sampleSize, JsonObject state, Path dir, long total) {
    JsonObject saved = state.getAsJsonObject("options");
    Map<String, String> values = cfg.recordedValues(sampleSize);
    for (Map.Entry<String, String> e : KEPT_ON_RESUME.entrySet()) {
      String key = e.getKey();
      String was = saved.has(key) ? saved.get(key).getAsString() : e.getValue();
      if (SAMPLE_SIZE.equals(was)) {
        was = Integer.toString(sampleSize); // the model's, which a resumed run keeps
      }
      String now = values.get(key);
      if (was == null || !sameValue(was, now)) {
        throw new BadInputException(
            "--resume: --"
                + key
                + " was "
                + was
                + " in "
                + dir
                + ", now "
                + now
                + "; a resumed run must keep the data order and the training recipe");
      }
    }
    // A decaying schedule is a function of the run's length: resuming with another length would
    // jump to another point of another curve.
    if (cfg.lrScheduler().decays() && state.has("num_training_steps")) {
      long was = state.get("num_training_steps").getAsLong();
      if (was != total) {
        throw new BadInputException(
            String.format(
                "--resume: the run was %d steps long in %s, now %d (--epochs, --max-steps);"
                    + " --lr-scheduler %s depends on the length, so a resumed run must keep it",
                was, dir, total, cfg.lrScheduler().optionName()));
      }
    }
  }

  /** Equal option values: the same text, or the same number written differently (1e-3, 0.001). */
  private static boolean sameValue(String was, String now) {
    if (was.equals(now)) {
      return true;
    }
    try {
      return Double.parseDouble(was) == Double.parseDouble(now);
    } catch (NumberFormatException | NullPointerException e) {
      return false;
    }
  }
}
