package io.sparkddpm.sample;

import io.sparkddpm.cli.Options;
import io.sparkddpm.cli.Range;
import io.sparkddpm.cli.UsageException;
import io.sparkddpm.data.PixelRange;
import io.sparkddpm.diffusion.SchedulerConfig;
import io.sparkddpm.diffusion.TimestepSpacing;
import io.sparkddpm.model.Precision;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * What a sampling run is configured by: one declaration per option ({@link Options} reads them;
 * {@code --help} lists them). {@code scheduler}, {@code pixelRange} and {@code timestepSpacing} are
 * {@code null} when not given (the checkpoint's own are used); {@code values} holds every resolved
 * option as given, for provenance. Serializable: the tasks receive it.
 */
@Command(
    customSynopsis =
        "spark-submit --class SampleJob app.jar --model <checkpoint> --output <dir> [--steps 50]"
            + " [options]")
public record SampleConfig(
    @Option(
            names = "--model",
            required = true,
            description =
                "checkpoint folder: pipeline layout (unet/ + scheduler/) or a UNet folder")
        String model,
    @Option(
            names = "--output",
            required = true,
            description = "folder for samples.parquet/, grid.png, trajectory.png")
        String output,
    @Option(
            names = "--steps",
            defaultValue = "50",
            description = "inference steps (5, 50, 100, ...)")
        @Range(min = 1, max = 1000)
        int steps,
    @Option(names = "--num-images", defaultValue = "64", description = "images to generate")
        @Range(min = 1)
        int numImages,
    @Option(
            names = "--scheduler",
            defaultValue = "",
            description = "the reverse process; default: the checkpoint's scheduler")
        SchedulerConfig.Algorithm scheduler,
    @Option(
            names = "--eta",
            defaultValue = "0",
            description = "DDIM eta: 0 deterministic, 1 DDPM-like noise")
        @Range(min = 0, max = 1)
        double eta,
    @Option(
            names = "--seed",
            defaultValue = "0",
            description = "image i is a function of (seed, i) only")
        long seed,
    @Option(
            names = "--batch-size",
            defaultValue = "64",
            description = "images per forward pass in a task")
        @Range(min = 1)
        int batchSize,
    @Option(names = "--ema", description = "use the checkpoint's EMA weights (unet_ema/)")
        boolean ema,
    @Option(names = "--png-per-image", description = "also write images/<index>.png")
        boolean pngPerImage,
    @Option(names = "--overwrite", description = "replace an existing --output") boolean overwrite,
    @Option(
            names = "--partitions",
            defaultValue = "0",
            description = "tasks; 0 = Spark's default parallelism")
        @Range(min = 0)
        int partitions,
    @Option(
            names = "--pixel-range",
            defaultValue = "",
            description = "model pixel range; default: the checkpoint's training option")
        PixelRange pixelRange,
    @Option(
            names = "--timestep-spacing",
            defaultValue = "",
            description = "how the steps are spread; default: the checkpoint scheduler's")
        TimestepSpacing timestepSpacing,
    @Option(
            names = "--mlflow-uri",
            defaultValue = "",
            description = "MLflow tracking server; default $MLFLOW_TRACKING_URI, neither = off")
        String mlflowUri,
    @Option(
            names = "--mlflow-experiment",
            defaultValue = "",
            description =
                "MLflow experiment; default $MLFLOW_EXPERIMENT_NAME, else the training run's")
        String mlflowExperiment,
    @Option(
            names = "--mlflow-required",
            description = "fail (exit 1) when the MLflow server cannot be used")
        boolean mlflowRequired,
    @Option(
            names = "--class",
            defaultValue = "",
            description = "conditional model: the class of every image")
        String classLabel,
    @Option(
            names = "--classes",
            defaultValue = "",
            description =
                "conditional model: classes, comma-separated, image i gets classes[i % n];"
                    + " default: all the model's classes")
        String classList,
    @Option(
            names = "--guidance-scale",
            defaultValue = "1",
            description =
                "classifier-free guidance w: eps_uncond + w (eps_cond - eps_uncond); 1 = plain"
                    + " conditional sampling")
        @Range(min = 0)
        double guidanceScale,
    @Option(
            names = "--precision",
            defaultValue = "fp32",
            description =
                "the UNet's forward pass: fp32, or bf16 (bfloat16 compute on the float32 weights, as"
                    + " torch.autocast; x_t and the scheduler stay float32)")
        Precision precision,
    Map<String, String> values)
    implements java.io.Serializable {

  /** Checks that the class options are integers and not both given. */
  public SampleConfig {
    UsageException.check(
        classLabel.isEmpty() || classList.isEmpty(), "give --class or --classes, not both");
    classes(classLabel, classList);
  }

  /**
   * The classes asked for, image i getting {@code classes()[i % n]}; empty when neither {@code
   * --class} nor {@code --classes} is given (a conditional model then cycles through all its
   * classes).
   */
  public int[] classes() {
    return classes(classLabel, classList);
  }

  /** Whether a class or a guidance scale other than 1 was asked for. */
  public boolean asksForConditioning() {
    return classes().length > 0 || guidanceScale != 1;
  }

  private static int[] classes(String one, String list) {
    String text = one.isEmpty() ? list : one;
    String option = one.isEmpty() ? "--classes" : "--class";
    if (text.isBlank()) {
      return new int[0];
    }
    String[] parts = text.split(",", -1);
    int[] out = new int[parts.length];
    for (int i = 0; i < parts.length; i++) {
      try {
        out[i] = Integer.parseInt(parts[i].trim());
      } catch (NumberFormatException e) {
        throw new UsageException(
            option + ": \"" + parts[i].trim() + "\" is not a class number (0, 1, ...)");
      }
      UsageException.check(out[i] >= 0, option + ": class " + out[i] + " is negative");
    }
    UsageException.check(
        one.isEmpty() || out.length == 1, "--class takes one class; use --classes for several");
    return out;
  }

  /** The options of {@code SampleJob}. */
  public static final Options<SampleConfig> OPTIONS = Options.of(SampleConfig.class);

  /** The configuration {@code args} give; {@link io.sparkddpm.cli.UsageException} if invalid. */
  public static SampleConfig parse(String... args) {
    return OPTIONS.parse(args);
  }
}
