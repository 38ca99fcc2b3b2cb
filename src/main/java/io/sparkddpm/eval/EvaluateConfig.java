package io.sparkddpm.eval;

import io.sparkddpm.cli.Options;
import io.sparkddpm.cli.Range;
import io.sparkddpm.model.Precision;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * What an evaluation run is configured by: one declaration per option ({@link Options} reads them;
 * {@code --help} lists them). {@code maxFid} is NaN when not given (no quality gate); {@code
 * values} holds every resolved option as given, for provenance.
 */
@Command(
    customSynopsis =
        "spark-submit --class EvaluateJob app.jar --samples <SampleJob output> --data <images>"
            + " --output <dir> [options]")
public record EvaluateConfig(
    @Option(
            names = "--samples",
            required = true,
            description =
                "SampleJob's output (reads parquet/), a Parquet file or folder, or a folder of"
                    + " PNGs (8-bit gray or RGB, square, all of one size)")
        String samples,
    @Option(
            names = "--data",
            required = true,
            description =
                "labelled images as TrainJob reads them (IDX, Parquet, image folder with class"
                    + " folders): reference = test split (else every 5th image), floor = the rest")
        String data,
    @Option(
            names = "--image-column",
            defaultValue = "image",
            description = "--data Parquet: the image column (struct<bytes, path> or binary)")
        String imageColumn,
    @Option(
            names = "--label-column",
            defaultValue = "label",
            description = "--data Parquet: the integer class column")
        String labelColumn,
    @Option(
            names = "--output",
            required = true,
            description = "folder for metrics.json and evaluation.png")
        String output,
    @Option(
            names = "--classifier",
            defaultValue = "",
            description =
                "classifier folder (config.json + model.safetensors): reused if it exists, else"
                    + " trained and saved there; default <output>/classifier")
        String classifier,
    @Option(
            names = "--classifier-epochs",
            defaultValue = "8",
            description = "epochs when training the classifier")
        @Range(min = 1)
        int classifierEpochs,
    @Option(
            names = "--classifier-batch-size",
            defaultValue = "128",
            description = "batch when training the classifier")
        @Range(min = 1)
        int classifierBatchSize,
    @Option(
            names = "--classifier-lr",
            defaultValue = "1e-3",
            description =
                "Adam's peak learning rate when training the classifier (cosine decay to 0)")
        @Range(min = 0, minOpen = true)
        double classifierLr,
    @Option(
            names = "--classifier-limit",
            defaultValue = "0",
            description = "training images for the classifier; 0 = all")
        @Range(min = 0)
        long classifierLimit,
    @Option(
            names = "--min-classifier-accuracy",
            defaultValue = "0.99",
            description = "a newly trained classifier below this test accuracy is an error")
        @Range(min = 0, max = 1)
        double minClassifierAccuracy,
    @Option(
            names = "--reference-limit",
            defaultValue = "0",
            description = "test images of --data used as reference; 0 = all")
        @Range(min = 0)
        long referenceLimit,
    @Option(
            names = "--blank-level",
            defaultValue = "64",
            description = "an image whose brightest pixel is below this is blank")
        @Range(min = 1, max = 255)
        int blankLevel,
    @Option(
            names = "--examples-per-class",
            defaultValue = "12",
            description = "samples shown per predicted class in evaluation.png")
        @Range(min = 1, max = 64)
        int examplesPerClass,
    @Option(
            names = "--seed",
            defaultValue = "0",
            description = "classifier initialisation and the ceiling's noise")
        long seed,
    @Option(
            names = "--partitions",
            defaultValue = "0",
            description = "tasks; 0 = Spark's default parallelism")
        @Range(min = 0)
        int partitions,
    @Option(
            names = "--max-fid",
            defaultValue = "",
            description = "exit 1 (after writing) when the samples' FID exceeds this")
        @Range(min = 0)
        double maxFid,
    @Option(names = "--overwrite", description = "replace an existing --output") boolean overwrite,
    @Option(
            names = "--classifier-shift",
            defaultValue = "0",
            description =
                "move each classifier training image by up to this many pixels per axis (raises"
                    + " the confidence on noise, see docs/evaluation.md); 0 = off")
        @Range(min = 0, max = 8)
        int classifierShift,
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
            names = "--precision",
            defaultValue = "fp32",
            description =
                "the classifier's scoring forwards (reference, samples, floor, ceiling): fp32, or"
                    + " bf16 (bfloat16 compute on the float32 weights, as torch.autocast); training"
                    + " the classifier stays fp32")
        Precision precision,
    Map<String, String> values) {

  /** The options of {@code EvaluateJob}. */
  public static final Options<EvaluateConfig> OPTIONS = Options.of(EvaluateConfig.class);

  /** The configuration {@code args} give; {@link io.sparkddpm.cli.UsageException} if invalid. */
  public static EvaluateConfig parse(String... args) {
    return OPTIONS.parse(args);
  }

  /** The columns of a Parquet {@code --data}. */
  public io.sparkddpm.data.ImageSource.Columns columns() {
    return new io.sparkddpm.data.ImageSource.Columns(imageColumn, labelColumn);
  }

  /** The classifier folder: {@code --classifier}, else {@code <output>/classifier}. */
  public String classifierPath() {
    return classifier.isBlank() ? output + "/classifier" : classifier;
  }
}
