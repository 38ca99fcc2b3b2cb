package io.sparkddpm.train;

import io.sparkddpm.cli.Options;
import io.sparkddpm.cli.UsageException;
import io.sparkddpm.data.PixelRange;
import io.sparkddpm.diffusion.NoiseScheduler;
import io.sparkddpm.diffusion.SchedulerConfig;
import java.util.Locale;
import java.util.Map;

/**
 * Everything a training run is configured by, validated on construction. Defaults are the
 * tutorial's recipe: batch 128, Adam lr 1e-3, 5 epochs, 1000 timesteps, linear betas 1e-4..0.02;
 * pixels are scaled to [-1, 1] (the tutorial's [0, 1] as an option).
 *
 * @param data MNIST path (IDX folder or Hugging Face Parquet) on any Hadoop file system
 * @param output run folder for checkpoints, metrics and sample grids
 * @param epochs passes over the data
 * @param maxSteps stop after this many optimizer steps (0 = no limit)
 * @param batchSize global batch per optimizer step, over all tasks
 * @param lr Adam learning rate
 * @param seed run seed every random draw derives from
 * @param emaDecay EMA decay of the weights (0 = no EMA)
 * @param gradClip max global L2 norm of the gradient (0 = no clipping)
 * @param checkpointEvery steps between checkpoints (0 = only at the end)
 * @param keepCheckpoints how many step checkpoints to keep
 * @param resume continue from the newest checkpoint in {@code output}
 * @param autoResume resume when {@code output} holds a checkpoint, else start fresh (for retries by
 *     a scheduler)
 * @param sampleEveryEpoch images in the grid sampled after each epoch (0 = none)
 * @param sampleSteps sampler steps for those grids
 * @param limit use only the first N training images (0 = all)
 * @param partitions shards and tasks per step (0 = Spark's default parallelism)
 * @param logEvery steps between progress lines
 * @param range pixel range the model sees
 * @param modelConfig diffusers UNet config.json to train (empty = the tutorial's model)
 * @param injectFailureAtStep testing only: fail the first attempt of one task at this step (-1 =
 *     never)
 * @param mode one Spark job per step, or one persistent barrier stage for the whole run
 * @param stageRetries persistent mode: relaunches of the stage allowed without a completed step
 * @param exchangeTimeoutSeconds persistent mode: longest wait for the tasks to connect, for a
 *     step's partials, and (on the tasks) for the driver's next step
 * @param injectNanAtStep testing only: the first computation of this step reports a NaN gradient,
 *     as a transient fault would (-1 = never)
 * @param sampleScheduler the epoch grids' sampler: "ddpm", "ddim" or "dpmsolver++"
 * @param sampleTimestepSpacing the epoch grids' timestep_spacing: "leading", "trailing" or
 *     "linspace"
 * @param values all resolved option values, for provenance
 */
public record TrainConfig(
    String data,
    String output,
    int epochs,
    long maxSteps,
    int batchSize,
    double lr,
    long seed,
    double emaDecay,
    double gradClip,
    int checkpointEvery,
    int keepCheckpoints,
    boolean resume,
    boolean autoResume,
    int sampleEveryEpoch,
    int sampleSteps,
    long limit,
    int partitions,
    int logEvery,
    PixelRange range,
    String modelConfig,
    long injectFailureAtStep,
    Mode mode,
    int stageRetries,
    int exchangeTimeoutSeconds,
    long injectNanAtStep,
    String sampleScheduler,
    String sampleTimestepSpacing,
    Map<String, String> values) {

  /** How the executors' gradients reach the driver. */
  public enum Mode {
    /** One Spark job per optimizer step: broadcast the weights, collect the partials. */
    PER_STEP,
    /** One barrier stage for the run; its tasks exchange with the driver over a socket. */
    PERSISTENT
  }

  /** Validates ranges; messages name the option. */
  public TrainConfig {
    UsageException.check(!data.isBlank(), "--data is required");
    UsageException.check(!output.isBlank(), "--output is required");
    UsageException.check(epochs >= 1, "--epochs must be >= 1, got " + epochs);
    UsageException.check(maxSteps >= 0, "--max-steps must be >= 0, got " + maxSteps);
    UsageException.check(batchSize >= 1, "--batch-size must be >= 1, got " + batchSize);
    UsageException.check(
        lr > 0 && Double.isFinite(lr), "--lr must be a positive number, got " + lr);
    UsageException.check(
        emaDecay >= 0 && emaDecay < 1, "--ema-decay must be in [0, 1), got " + emaDecay);
    UsageException.check(gradClip >= 0, "--grad-clip must be >= 0, got " + gradClip);
    UsageException.check(
        checkpointEvery >= 0, "--checkpoint-every must be >= 0, got " + checkpointEvery);
    UsageException.check(
        keepCheckpoints >= 1, "--keep-checkpoints must be >= 1, got " + keepCheckpoints);
    UsageException.check(
        sampleEveryEpoch >= 0, "--sample-every-epoch must be >= 0, got " + sampleEveryEpoch);
    UsageException.check(
        sampleSteps >= 1 && sampleSteps <= 1000,
        "--sample-steps must be in 1..1000, got " + sampleSteps);
    UsageException.check(limit >= 0, "--limit must be >= 0, got " + limit);
    UsageException.check(partitions >= 0, "--partitions must be >= 0, got " + partitions);
    UsageException.check(logEvery >= 1, "--log-every must be >= 1, got " + logEvery);
    UsageException.check(stageRetries >= 0, "--stage-retries must be >= 0, got " + stageRetries);
    UsageException.check(
        exchangeTimeoutSeconds >= 1,
        "--exchange-timeout must be >= 1 second, got " + exchangeTimeoutSeconds);
    try {
      NoiseScheduler.create(
              epochSampler(SchedulerConfig.ddpm(), sampleScheduler, sampleTimestepSpacing))
          .setTimesteps(sampleSteps); // refused now rather than after the first epoch
    } catch (IllegalArgumentException e) {
      throw new UsageException(
          "--sample-scheduler / --sample-timestep-spacing / --sample-steps: " + e.getMessage());
    }
    values = Map.copyOf(values);
  }

  /** The scheduler of the epoch grids: the training schedule sampled as the options say. */
  public SchedulerConfig epochSampler(SchedulerConfig training) {
    return epochSampler(training, sampleScheduler, sampleTimestepSpacing);
  }

  private static SchedulerConfig epochSampler(
      SchedulerConfig training, String scheduler, String spacing) {
    return training
        .withAlgorithm(SchedulerConfig.Algorithm.ofShortName(scheduler))
        .withTimestepSpacing(spacing);
  }

  /** The options TrainJob declares, with the tutorial's defaults. */
  public static Options options() {
    return new Options(
            "spark-submit --class TrainJob app.jar --data <path> --output <dir> [options]")
        .option("data", "MNIST: folder of IDX files (raw or .gz) or Parquet, any Hadoop path", null)
        .option("output", "run folder: checkpoints, metrics.jsonl, loss.png, samples/", null)
        .option("epochs", "passes over the training set", "5")
        .option("max-steps", "stop after this many optimizer steps; 0 = no limit", "0")
        .option("batch-size", "global batch per optimizer step, summed over all tasks", "128")
        .option("lr", "Adam learning rate (torch defaults otherwise)", "1e-3")
        .option("seed", "run seed; every random draw derives from it", "0")
        .option("ema-decay", "EMA of the weights, saved as unet_ema/; 0 = off", "0")
        .option("grad-clip", "clip the gradient's global L2 norm to this; 0 = off", "0")
        .option("checkpoint-every", "steps between checkpoints; 0 = only the final one", "500")
        .option("keep-checkpoints", "step checkpoints kept (older ones deleted)", "3")
        .flag("resume", "continue from the newest checkpoint in --output")
        .flag(
            "auto-resume",
            "resume if --output has a checkpoint, else start (for scheduler retries)")
        .option(
            "sample-every-epoch", "images in a DDPM sample grid after each epoch; 0 = none", "16")
        .option("sample-steps", "sampler steps for those grids", "50")
        .option("limit", "train on the first N images only; 0 = all", "0")
        .option("partitions", "data shards = tasks per step; 0 = Spark's default parallelism", "0")
        .option("log-every", "steps between progress lines", "10")
        .option(
            "pixel-range",
            "model pixel range: minus_one_to_one or zero_to_one (tutorial)",
            "minus_one_to_one")
        .option("model-config", "diffusers UNet config.json to train; empty = tutorial model", "")
        .option(
            "inject-failure-at-step", "testing: first attempt of one task fails at this step", "-1")
        .option(
            "mode",
            "per-step (one Spark job a step) or persistent (one barrier stage, tasks exchange"
                + " with the driver every step; needs a task slot per partition)",
            "per-step")
        .option(
            "stage-retries",
            "persistent: relaunches of the failed stage allowed without a completed step",
            "3")
        .option(
            "exchange-timeout",
            "persistent: seconds to wait for the tasks to connect, for a step's partials, and"
                + " (tasks) for the driver's next step",
            "600")
        .option(
            "inject-nan-at-step",
            "testing: the first computation of this step gives a NaN gradient",
            "-1")
        .option("sample-scheduler", "sampler of the epoch grids: ddpm, ddim or dpmsolver++", "ddpm")
        .option(
            "sample-timestep-spacing",
            "timestep spacing of the epoch grids: leading, trailing or linspace",
            "leading");
  }

  /** The configuration of parsed options. */
  public static TrainConfig of(Options.Parsed p) {
    String range = p.string("pixel-range").toUpperCase(Locale.ROOT);
    PixelRange pixelRange;
    try {
      pixelRange = PixelRange.valueOf(range);
    } catch (IllegalArgumentException e) {
      throw new UsageException(
          "--pixel-range: expected minus_one_to_one or zero_to_one, got \""
              + p.string("pixel-range")
              + "\"");
    }
    Mode mode =
        switch (p.string("mode")) {
          case "per-step" -> Mode.PER_STEP;
          case "persistent" -> Mode.PERSISTENT;
          default ->
              throw new UsageException(
                  "--mode: expected per-step or persistent, got \"" + p.string("mode") + "\"");
        };
    return new TrainConfig(
        p.string("data"),
        p.string("output"),
        p.integer("epochs"),
        p.longValue("max-steps"),
        p.integer("batch-size"),
        p.decimal("lr"),
        p.longValue("seed"),
        p.decimal("ema-decay"),
        p.decimal("grad-clip"),
        p.integer("checkpoint-every"),
        p.integer("keep-checkpoints"),
        p.flag("resume"),
        p.flag("auto-resume"),
        p.integer("sample-every-epoch"),
        p.integer("sample-steps"),
        p.longValue("limit"),
        p.integer("partitions"),
        p.integer("log-every"),
        pixelRange,
        p.string("model-config"),
        p.longValue("inject-failure-at-step"),
        mode,
        p.integer("stage-retries"),
        p.integer("exchange-timeout"),
        p.longValue("inject-nan-at-step"),
        p.string("sample-scheduler"),
        p.string("sample-timestep-spacing"),
        p.asMap());
  }
}
