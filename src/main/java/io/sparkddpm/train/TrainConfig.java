package io.sparkddpm.train;

import io.sparkddpm.cli.Options;
import io.sparkddpm.cli.Range;
import io.sparkddpm.cli.UsageException;
import io.sparkddpm.data.PixelRange;
import io.sparkddpm.data.Preprocess;
import io.sparkddpm.diffusion.BetaSchedule;
import io.sparkddpm.diffusion.NoiseScheduler;
import io.sparkddpm.diffusion.PredictionType;
import io.sparkddpm.diffusion.SchedulerConfig;
import io.sparkddpm.diffusion.TimestepSpacing;
import io.sparkddpm.model.Precision;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Everything a training run is configured by: one declaration per option ({@link Options} reads
 * them; {@code --help} lists them). Defaults are the tutorial's recipe: batch 128, Adam lr 1e-3, 5
 * epochs, 1000 timesteps, linear betas 1e-4..0.02, ε prediction; pixels are scaled to [-1, 1] (the
 * tutorial's [0, 1] as an option). {@code values} holds every resolved option as given, for
 * provenance.
 */
@Command(
    customSynopsis = "spark-submit --class TrainJob app.jar --data <path> --output <dir> [options]")
public record TrainConfig(
    @Option(
            names = "--data",
            required = true,
            description =
                "training images, any Hadoop path: a folder of IDX files, Parquet with an image"
                    + " column, or a folder of PNG/JPEG files (class sub-folders = labels)")
        String data,
    @Option(
            names = "--image-column",
            defaultValue = "image",
            description = "Parquet: column of PNG/JPEG bytes, struct<bytes, path> or binary")
        String imageColumn,
    @Option(
            names = "--label-column",
            defaultValue = "label",
            description = "Parquet: integer label column (\"label\" may be absent: unlabelled)")
        String labelColumn,
    @Option(
            names = "--output",
            required = true,
            description = "run folder: checkpoints, metrics.jsonl, loss.png, samples/")
        String output,
    @Option(names = "--epochs", defaultValue = "5", description = "passes over the training set")
        @Range(min = 1)
        int epochs,
    @Option(
            names = "--max-steps",
            defaultValue = "0",
            description = "stop after this many optimizer steps; 0 = no limit")
        @Range(min = 0)
        long maxSteps,
    @Option(
            names = "--batch-size",
            defaultValue = "128",
            description =
                "global batch of one forward and backward pass, summed over all tasks (an"
                    + " optimizer step takes --gradient-accumulation-steps of them)")
        @Range(min = 1)
        int batchSize,
    @Option(
            names = "--lr",
            defaultValue = "1e-3",
            description = "Adam learning rate (the schedule's peak)")
        @Range(min = 0, minOpen = true)
        double lr,
    @Option(
            names = "--seed",
            defaultValue = "0",
            description = "run seed; every random draw derives from it")
        long seed,
    @Option(
            names = "--ema-decay",
            defaultValue = "0",
            description =
                "EMA of the weights with this constant decay, saved as unet_ema/; 0 = off (see"
                    + " --use-ema for diffusers' EMA with warm-up)")
        @Range(min = 0, max = 1, maxOpen = true)
        double emaDecay,
    @Option(
            names = "--use-ema",
            description = "EMA of the weights as diffusers' EMAModel with warm-up, as unet_ema/")
        boolean useEma,
    @Option(
            names = "--ema-inv-gamma",
            defaultValue = "1.0",
            description = "--use-ema: inverse multiplicative factor of the warm-up")
        @Range(min = 0, minOpen = true)
        double emaInvGamma,
    @Option(
            names = "--ema-power",
            defaultValue = "0.75",
            description = "--use-ema: exponent of the warm-up")
        @Range(min = 0, minOpen = true)
        double emaPower,
    @Option(
            names = "--ema-max-decay",
            defaultValue = "0.9999",
            description = "--use-ema: the decay's upper bound")
        @Range(min = 0, max = 1)
        double emaMaxDecay,
    @Option(
            names = "--ema-min-decay",
            defaultValue = "0",
            description = "--use-ema: the decay's lower bound (after the first update)")
        @Range(min = 0, max = 1)
        double emaMinDecay,
    @Option(
            names = "--ema-update-after-step",
            defaultValue = "0",
            description = "--use-ema: optimizer steps after which the warm-up starts")
        @Range(min = 0)
        long emaUpdateAfterStep,
    @Option(
            names = "--gradient-accumulation-steps",
            defaultValue = "1",
            description =
                "micro-batches of --batch-size images per optimizer step, one forward and"
                    + " backward pass each")
        @Range(min = 1)
        int gradientAccumulationSteps,
    @Option(
            names = "--grad-clip",
            defaultValue = "0",
            description = "clip the gradient's global L2 norm to this; 0 = off")
        @Range(min = 0)
        double gradClip,
    @Option(
            names = "--checkpoint-every",
            defaultValue = "500",
            description = "steps between checkpoints; 0 = only the final one")
        @Range(min = 0)
        int checkpointEvery,
    @Option(
            names = "--keep-checkpoints",
            defaultValue = "3",
            description = "step checkpoints kept (older ones deleted)")
        @Range(min = 1)
        int keepCheckpoints,
    @Option(names = "--resume", description = "continue from the newest checkpoint in --output")
        boolean resume,
    @Option(
            names = "--auto-resume",
            description = "resume if --output has a checkpoint, else start (for scheduler retries)")
        boolean autoResume,
    @Option(
            names = "--sample-every-epoch",
            defaultValue = "16",
            description = "images in a DDPM sample grid after each epoch; 0 = none")
        @Range(min = 0)
        int sampleEveryEpoch,
    @Option(
            names = "--sample-steps",
            defaultValue = "50",
            description = "DDPM steps for those grids")
        @Range(min = 1, max = 1000)
        int sampleSteps,
    @Option(
            names = "--limit",
            defaultValue = "0",
            description = "train on the first N images only; 0 = all")
        @Range(min = 0)
        long limit,
    @Option(
            names = "--partitions",
            defaultValue = "0",
            description = "data shards = tasks per step; 0 = Spark's default parallelism")
        @Range(min = 0)
        int partitions,
    @Option(
            names = "--log-every",
            defaultValue = "10",
            description = "steps between progress lines")
        @Range(min = 1)
        int logEvery,
    @Option(
            names = "--pixel-range",
            defaultValue = "minus_one_to_one",
            description = "pixel range the model sees (zero_to_one: the tutorial's)")
        PixelRange range,
    @Option(
            names = "--resolution",
            defaultValue = "0",
            description =
                "images: shorter side resized to N (bilinear, as torchvision's Resize), then"
                    + " cropped to NxN; must equal the model's sample_size; 0 = sample_size")
        @Range(min = 0)
        int resolution,
    @Option(
            names = "--center-crop",
            description = "crop the center NxN after the resize (default: a random crop per epoch)")
        boolean centerCrop,
    @Option(
            names = "--random-flip",
            description = "flip images horizontally with p = 0.5, drawn per image and epoch")
        boolean randomFlip,
    @Option(
            names = "--model-config",
            defaultValue = "",
            description = "diffusers UNet config.json to train; empty = the tutorial's model")
        String modelConfig,
    @Option(
            names = "--inject-failure-at-step",
            defaultValue = "-1",
            hidden = true,
            description = "testing: the first attempt of one task fails at this step; -1 = never")
        long injectFailureAtStep,
    @Option(
            names = "--mode",
            defaultValue = "per-step",
            description =
                "per-step: one Spark job a step; persistent: one barrier stage whose tasks"
                    + " exchange with the driver every step (needs a task slot per partition)")
        Mode mode,
    @Option(
            names = "--stage-retries",
            defaultValue = "3",
            description =
                "persistent: relaunches of the failed stage allowed without a completed" + " step")
        @Range(min = 0)
        int stageRetries,
    @Option(
            names = "--exchange-timeout",
            defaultValue = "600",
            description =
                "persistent: seconds to wait for the tasks to connect, for a step's partials, and"
                    + " (tasks) for the driver's next step")
        @Range(min = 1)
        int exchangeTimeoutSeconds,
    @Option(
            names = "--inject-nan-at-step",
            defaultValue = "-1",
            hidden = true,
            description = "testing: the first computation of this step gives a NaN gradient")
        long injectNanAtStep,
    @Option(
            names = "--sample-scheduler",
            defaultValue = "ddpm",
            description = "sampler of the epoch grids")
        SchedulerConfig.Algorithm sampleScheduler,
    @Option(
            names = "--sample-timestep-spacing",
            defaultValue = "leading",
            description = "timestep spacing of the epoch grids")
        TimestepSpacing sampleTimestepSpacing,
    @Option(
            names = "--lr-scheduler",
            defaultValue = "constant",
            description = "how the learning rate changes over the run (diffusers' get_scheduler)")
        LrSchedule.Kind lrScheduler,
    @Option(
            names = "--lr-warmup-steps",
            defaultValue = "0",
            description = "steps of linear warm-up from 0 to --lr")
        @Range(min = 0)
        long lrWarmupSteps,
    @Option(
            names = "--lr-num-cycles",
            defaultValue = "1",
            description = "cosine_with_restarts: number of hard restarts")
        @Range(min = 1)
        int lrNumCycles,
    @Option(
            names = "--lr-power",
            defaultValue = "1.0",
            description = "polynomial: the decay's exponent (to 1e-7)")
        @Range(min = 0, minOpen = true)
        double lrPower,
    @Option(names = "--adam-beta1", defaultValue = "0.9", description = "Adam's first-moment decay")
        @Range(min = 0, max = 1, maxOpen = true)
        double adamBeta1,
    @Option(
            names = "--adam-beta2",
            defaultValue = "0.999",
            description = "Adam's second-moment decay")
        @Range(min = 0, max = 1, maxOpen = true)
        double adamBeta2,
    @Option(
            names = "--adam-weight-decay",
            defaultValue = "0",
            description = "AdamW's decoupled weight decay; 0 = Adam")
        @Range(min = 0)
        double adamWeightDecay,
    @Option(names = "--adam-epsilon", defaultValue = "1e-8", description = "Adam's epsilon")
        @Range(min = 0)
        double adamEpsilon,
    @Option(
            names = "--allow-data-change",
            description = "resume although the training data's files changed since the checkpoint")
        boolean allowDataChange,
    @Option(
            names = "--mlflow-uri",
            defaultValue = "",
            description = "MLflow tracking server; default $MLFLOW_TRACKING_URI, neither = off")
        String mlflowUri,
    @Option(
            names = "--mlflow-experiment",
            defaultValue = "",
            description = "MLflow experiment; default $MLFLOW_EXPERIMENT_NAME, else spark-ddpm")
        String mlflowExperiment,
    @Option(
            names = "--mlflow-required",
            description = "fail (exit 1) when the MLflow server cannot be used")
        boolean mlflowRequired,
    @Option(
            names = "--mlflow-log-model",
            description = "upload the final checkpoint to MLflow, not only its path")
        boolean mlflowLogModel,
    @Option(
            names = "--tensorboard-dir",
            defaultValue = "",
            description = "write TensorBoard event files here (any Hadoop path)")
        String tensorboardDir,
    @Option(
            names = "--prediction-type",
            defaultValue = "epsilon",
            description = "what the model learns to predict: the noise, the velocity v or x0")
        PredictionType predictionType,
    @Option(
            names = "--beta-schedule",
            defaultValue = "linear",
            description = "how the noise variances are laid out over the timesteps")
        BetaSchedule betaSchedule,
    @Option(
            names = "--beta-start",
            defaultValue = "1e-4",
            description = "first beta of linear and scaled_linear")
        @Range(min = 0, max = 1, minOpen = true, maxOpen = true)
        double betaStart,
    @Option(
            names = "--beta-end",
            defaultValue = "0.02",
            description = "last beta of linear and scaled_linear")
        @Range(min = 0, max = 1, minOpen = true, maxOpen = true)
        double betaEnd,
    @Option(
            names = "--num-train-timesteps",
            defaultValue = "1000",
            description = "T, the length of the diffusion process")
        @Range(min = 2, max = SchedulerConfig.MAX_TRAIN_TIMESTEPS)
        int numTrainTimesteps,
    @Option(
            names = "--conditional",
            description =
                "train a class-conditional model on the data's labels (num_class_embeds ="
                    + " classes + 1, the last one the null class)")
        boolean conditional,
    @Option(
            names = "--cond-dropout",
            defaultValue = "0",
            description =
                "--conditional: probability that an image's label is replaced by the null class"
                    + " (classifier-free guidance needs it > 0, e.g. 0.1)")
        @Range(min = 0, max = 1)
        double condDropout,
    @Option(
            names = "--precision",
            defaultValue = "fp32",
            description =
                "the tasks' forward and backward pass: fp32, or bf16 (bfloat16 compute on float32"
                    + " master weights, gradients and Adam, as torch.autocast)")
        Precision precision,
    Map<String, String> values) {

  /**
   * Checks that the epoch grids' sampler can take {@code --sample-steps}, and that {@code --lr} is
   * above the polynomial schedule's end, before training.
   */
  public TrainConfig {
    UsageException.check(
        betaSchedule == BetaSchedule.SQUAREDCOS_CAP_V2 || betaStart <= betaEnd,
        "--beta-start must not exceed --beta-end, got " + betaStart + " > " + betaEnd);
    SchedulerConfig training =
        SchedulerConfig.ddpm(numTrainTimesteps, betaSchedule, betaStart, betaEnd, predictionType);
    try {
      NoiseScheduler.create(epochSampler(training, sampleScheduler, sampleTimestepSpacing))
          .setTimesteps(sampleSteps);
    } catch (IllegalArgumentException e) {
      throw new UsageException(
          "--sample-scheduler / --sample-timestep-spacing / --sample-steps: " + e.getMessage());
    }
    UsageException.check(
        conditional || condDropout == 0, "--cond-dropout needs --conditional, got " + condDropout);
    UsageException.check(
        lrScheduler != LrSchedule.Kind.POLYNOMIAL || lr > LrSchedule.POLYNOMIAL_LR_END,
        "--lr must be above the polynomial schedule's end value 1e-7, got " + lr);
    UsageException.check(
        !(useEma && emaDecay > 0),
        "--use-ema and --ema-decay are two kinds of EMA; pass one of them");
    UsageException.check(
        emaMinDecay <= emaMaxDecay,
        "--ema-min-decay " + emaMinDecay + " is above --ema-max-decay " + emaMaxDecay);
  }

  /** The EMA of the weights, or null when off. */
  Ema ema() {
    if (useEma) {
      return Ema.warmup(emaInvGamma, emaPower, emaMaxDecay, emaMinDecay, emaUpdateAfterStep);
    }
    return emaDecay > 0 ? Ema.constant(emaDecay) : null;
  }

  /** Images of one optimizer step: {@code --gradient-accumulation-steps} x {@code --batch-size}. */
  public int stepBatch() {
    return Math.multiplyExact(gradientAccumulationSteps, batchSize);
  }

  /**
   * The preprocessing of {@code --resolution} (0: {@code sampleSize}), {@code --center-crop},
   * {@code --random-flip} and {@code --pixel-range} for a model of {@code sampleSize}.
   */
  public Preprocess preprocess(int sampleSize) {
    return new Preprocess(resolution > 0 ? resolution : sampleSize, centerCrop, randomFlip, range);
  }

  /**
   * The options as checkpoints record them: {@link #values} with {@code --resolution} resolved for
   * a model of {@code sampleSize}, so that leaving it out and giving the model's size are one
   * recipe.
   */
  Map<String, String> recordedValues(int sampleSize) {
    Map<String, String> recorded = new java.util.LinkedHashMap<>(values);
    recorded.put("resolution", Integer.toString(preprocess(sampleSize).resolution()));
    return recorded;
  }

  /** The optimizer's constants. */
  public Adam.Hyper adam() {
    return new Adam.Hyper(adamBeta1, adamBeta2, adamWeightDecay, adamEpsilon);
  }

  /** The learning-rate schedule of a run of {@code totalSteps} optimizer steps. */
  public LrSchedule lrSchedule(long totalSteps) {
    return new LrSchedule(lrScheduler, lr, lrWarmupSteps, totalSteps, lrNumCycles, lrPower);
  }

  /** The options of {@code TrainJob}. */
  public static final Options<TrainConfig> OPTIONS = Options.of(TrainConfig.class);

  /** The configuration {@code args} give; {@link io.sparkddpm.cli.UsageException} if invalid. */
  public static TrainConfig parse(String... args) {
    return OPTIONS.parse(args);
  }

  /**
   * The training schedule (T, betas, prediction type) as DDPM's scheduler config, written to every
   * checkpoint's {@code scheduler/scheduler_config.json}.
   */
  public SchedulerConfig noiseSchedule() {
    return SchedulerConfig.ddpm(
        numTrainTimesteps, betaSchedule, betaStart, betaEnd, predictionType);
  }

  /** The scheduler of the epoch grids: the training schedule sampled as the options say. */
  public SchedulerConfig epochSampler(SchedulerConfig training) {
    return epochSampler(training, sampleScheduler, sampleTimestepSpacing);
  }

  private static SchedulerConfig epochSampler(
      SchedulerConfig training, SchedulerConfig.Algorithm scheduler, TimestepSpacing spacing) {
    return training.withAlgorithm(scheduler).withTimestepSpacing(spacing.diffusersName());
  }

  /** How the executors' gradients reach the driver. */
  public enum Mode {
    /** One Spark job per optimizer step: broadcast the weights, collect the partials. */
    PER_STEP("per-step"),
    /** One barrier stage for the run; its tasks exchange with the driver over a socket. */
    PERSISTENT("persistent");

    private final String spelling;

    Mode(String spelling) {
      this.spelling = spelling;
    }

    /** The option's spelling of this mode. */
    @Override
    public String toString() {
      return spelling;
    }
  }
}
