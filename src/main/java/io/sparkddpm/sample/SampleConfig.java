package io.sparkddpm.sample;

import io.sparkddpm.cli.Options;
import io.sparkddpm.cli.UsageException;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What a sampling run is configured by, validated on construction.
 *
 * @param model checkpoint folder (pipeline layout or a bare UNet folder), any Hadoop path
 * @param output folder for the Parquet, grid.png and trajectory.png
 * @param steps inference steps, 1..num_train_timesteps
 * @param numImages images to generate
 * @param scheduler "ddpm", "ddim", "dpmsolver++", or "" for the checkpoint's own scheduler
 * @param eta DDIM's eta (0 = deterministic)
 * @param seed seed every image's noise derives from, with the image's index
 * @param batchSize images per forward pass inside a task
 * @param ema use the checkpoint's EMA weights
 * @param pngPerImage also write one PNG per image under {@code images/}
 * @param overwrite replace an existing output
 * @param partitions tasks (0 = Spark's default parallelism)
 * @param pixelRange "minus_one_to_one", "zero_to_one", or "" to take it from the checkpoint
 * @param timestepSpacing "leading", "trailing", "linspace", or "" for the checkpoint's own
 * @param values all resolved option values, for provenance
 */
public record SampleConfig(
    String model,
    String output,
    int steps,
    int numImages,
    String scheduler,
    double eta,
    long seed,
    int batchSize,
    boolean ema,
    boolean pngPerImage,
    boolean overwrite,
    int partitions,
    String pixelRange,
    String timestepSpacing,
    Map<String, String> values)
    implements java.io.Serializable {

  /** Validates ranges; messages name the option. */
  public SampleConfig {
    UsageException.check(!model.isBlank(), "--model is required");
    UsageException.check(!output.isBlank(), "--output is required");
    UsageException.check(steps >= 1 && steps <= 1000, "--steps must be in 1..1000, got " + steps);
    UsageException.check(numImages >= 1, "--num-images must be >= 1, got " + numImages);
    scheduler = scheduler.toLowerCase(Locale.ROOT);
    UsageException.check(
        scheduler.isEmpty() || SCHEDULERS.contains(scheduler),
        "--scheduler must be ddpm, ddim or dpmsolver++, got \"" + scheduler + "\"");
    UsageException.check(eta >= 0 && eta <= 1, "--eta must be in [0, 1], got " + eta);
    UsageException.check(batchSize >= 1, "--batch-size must be >= 1, got " + batchSize);
    UsageException.check(partitions >= 0, "--partitions must be >= 0, got " + partitions);
    pixelRange = pixelRange.toLowerCase(Locale.ROOT);
    UsageException.check(
        pixelRange.isEmpty()
            || pixelRange.equals("minus_one_to_one")
            || pixelRange.equals("zero_to_one"),
        "--pixel-range must be minus_one_to_one or zero_to_one, got \"" + pixelRange + "\"");
    timestepSpacing = timestepSpacing.toLowerCase(Locale.ROOT);
    UsageException.check(
        timestepSpacing.isEmpty() || SPACINGS.contains(timestepSpacing),
        "--timestep-spacing must be leading, trailing or linspace, got \""
            + timestepSpacing
            + "\"");
    values = Map.copyOf(values);
  }

  private static final Set<String> SCHEDULERS = Set.of("ddpm", "ddim", "dpmsolver++");

  private static final Set<String> SPACINGS = Set.of("leading", "trailing", "linspace");

  /** The options SampleJob declares. */
  public static Options options() {
    return new Options(
            "spark-submit --class SampleJob app.jar --model <checkpoint> --output <dir> [--steps 50] [options]")
        .option(
            "model",
            "checkpoint folder: pipeline layout (unet/ + scheduler/) or a UNet folder",
            null)
        .option("output", "folder for samples.parquet/, grid.png, trajectory.png", null)
        .option("steps", "inference steps (5, 50, 100, ... any of 1..1000)", "50")
        .option("num-images", "images to generate", "64")
        .option("scheduler", "ddpm, ddim or dpmsolver++; default: the checkpoint's scheduler", "")
        .option("eta", "DDIM eta: 0 deterministic, 1 DDPM-like noise", "0")
        .option("seed", "image i is a function of (seed, i) only", "0")
        .option("batch-size", "images per forward pass in a task", "64")
        .flag("ema", "use the checkpoint's EMA weights (unet_ema/)")
        .flag("png-per-image", "also write images/<index>.png")
        .flag("overwrite", "replace an existing --output")
        .option("partitions", "tasks; 0 = Spark's default parallelism", "0")
        .option("pixel-range", "model pixel range; default: the checkpoint's training option", "")
        .option(
            "timestep-spacing",
            "leading, trailing or linspace; default: the checkpoint scheduler's",
            "");
  }

  /** The configuration of parsed options. */
  public static SampleConfig of(Options.Parsed p) {
    return new SampleConfig(
        p.string("model"),
        p.string("output"),
        p.integer("steps"),
        p.integer("num-images"),
        p.string("scheduler"),
        p.decimal("eta"),
        p.longValue("seed"),
        p.integer("batch-size"),
        p.flag("ema"),
        p.flag("png-per-image"),
        p.flag("overwrite"),
        p.integer("partitions"),
        p.string("pixel-range"),
        p.string("timestep-spacing"),
        p.asMap());
  }
}
