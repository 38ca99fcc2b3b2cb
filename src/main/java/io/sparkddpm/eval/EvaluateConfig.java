package io.sparkddpm.eval;

import io.sparkddpm.cli.Options;
import io.sparkddpm.cli.UsageException;
import java.util.Map;

/**
 * What an evaluation run is configured by, validated on construction.
 *
 * @param samples SampleJob's output folder, a Parquet file or folder, or a folder of PNGs
 * @param data MNIST (IDX or Parquet, any Hadoop path): test images are the reference, training
 *     images the floor and the classifier's training data
 * @param output folder for metrics.json and evaluation.png
 * @param classifier classifier folder to reuse, or to create when it holds none ("" = {@code
 *     <output>/classifier})
 * @param classifierEpochs epochs when the classifier has to be trained
 * @param classifierBatchSize Adam batch when training it
 * @param classifierLr Adam learning rate when training it
 * @param classifierLimit training images used (0 = all 60,000)
 * @param minClassifierAccuracy a freshly trained classifier below this test accuracy is an error
 * @param referenceLimit test images used as the reference (0 = all 10,000)
 * @param blankLevel an image whose brightest pixel is below this 8-bit level counts as blank
 * @param examplesPerClass samples shown per predicted class in evaluation.png
 * @param seed classifier initialisation and shuffling, and the noise of the ceiling
 * @param partitions tasks (0 = Spark's default parallelism)
 * @param maxFid fail (exit 1) after writing the output when the samples' FID exceeds it; NaN = off
 * @param overwrite replace an existing output
 * @param values all resolved option values, for provenance
 */
public record EvaluateConfig(
    String samples,
    String data,
    String output,
    String classifier,
    int classifierEpochs,
    int classifierBatchSize,
    double classifierLr,
    long classifierLimit,
    double minClassifierAccuracy,
    long referenceLimit,
    int blankLevel,
    int examplesPerClass,
    long seed,
    int partitions,
    double maxFid,
    boolean overwrite,
    Map<String, String> values) {

  /** Validates ranges; messages name the option. */
  public EvaluateConfig {
    UsageException.check(!samples.isBlank(), "--samples is required");
    UsageException.check(!data.isBlank(), "--data is required");
    UsageException.check(!output.isBlank(), "--output is required");
    UsageException.check(
        classifierEpochs >= 1, "--classifier-epochs must be >= 1, got " + classifierEpochs);
    UsageException.check(
        classifierBatchSize >= 1,
        "--classifier-batch-size must be >= 1, got " + classifierBatchSize);
    UsageException.check(classifierLr > 0, "--classifier-lr must be > 0, got " + classifierLr);
    UsageException.check(
        classifierLimit >= 0, "--classifier-limit must be >= 0, got " + classifierLimit);
    UsageException.check(
        minClassifierAccuracy >= 0 && minClassifierAccuracy <= 1,
        "--min-classifier-accuracy must be in [0, 1], got " + minClassifierAccuracy);
    UsageException.check(
        referenceLimit >= 0, "--reference-limit must be >= 0, got " + referenceLimit);
    UsageException.check(
        blankLevel >= 1 && blankLevel <= 255, "--blank-level must be in 1..255, got " + blankLevel);
    UsageException.check(
        examplesPerClass >= 1 && examplesPerClass <= 64,
        "--examples-per-class must be in 1..64, got " + examplesPerClass);
    UsageException.check(partitions >= 0, "--partitions must be >= 0, got " + partitions);
    UsageException.check(
        Double.isNaN(maxFid) || maxFid >= 0, "--max-fid must be >= 0, got " + maxFid);
    values = Map.copyOf(values);
  }

  /** The classifier folder: {@code --classifier}, else {@code <output>/classifier}. */
  public String classifierPath() {
    return classifier.isBlank() ? output + "/classifier" : classifier;
  }

  /** The options EvaluateJob declares. */
  public static Options options() {
    return new Options(
            "spark-submit --class EvaluateJob app.jar --samples <SampleJob output> --data <MNIST>"
                + " --output <dir> [options]")
        .option(
            "samples",
            "SampleJob's output (reads parquet/), a Parquet file or folder, or a folder of 32x32"
                + " PNGs",
            null)
        .option("data", "MNIST (IDX or Parquet): reference = test split, floor = train split", null)
        .option("output", "folder for metrics.json and evaluation.png", null)
        .option(
            "classifier",
            "classifier folder (config.json + model.safetensors): reused if it exists, else"
                + " trained and saved there; default <output>/classifier",
            "")
        .option("classifier-epochs", "epochs when training the classifier", "4")
        .option("classifier-batch-size", "batch when training the classifier", "128")
        .option("classifier-lr", "Adam learning rate when training the classifier", "1e-3")
        .option("classifier-limit", "training images for the classifier; 0 = all", "0")
        .option(
            "min-classifier-accuracy",
            "a newly trained classifier below this test accuracy is an error",
            "0.99")
        .option("reference-limit", "MNIST test images used as reference; 0 = all", "0")
        .option("blank-level", "an image whose brightest pixel is below this is blank", "64")
        .option("examples-per-class", "samples shown per predicted class in evaluation.png", "12")
        .option("seed", "classifier initialisation and the ceiling's noise", "0")
        .option("partitions", "tasks; 0 = Spark's default parallelism", "0")
        .option("max-fid", "exit 1 (after writing) when the samples' FID exceeds this", "")
        .flag("overwrite", "replace an existing --output");
  }

  /** The configuration of parsed options. */
  public static EvaluateConfig of(Options.Parsed p) {
    String maxFid = p.string("max-fid").trim();
    return new EvaluateConfig(
        p.string("samples"),
        p.string("data"),
        p.string("output"),
        p.string("classifier"),
        p.integer("classifier-epochs"),
        p.integer("classifier-batch-size"),
        p.decimal("classifier-lr"),
        p.longValue("classifier-limit"),
        p.decimal("min-classifier-accuracy"),
        p.longValue("reference-limit"),
        p.integer("blank-level"),
        p.integer("examples-per-class"),
        p.longValue("seed"),
        p.integer("partitions"),
        maxFid.isEmpty() ? Double.NaN : p.decimal("max-fid"),
        p.flag("overwrite"),
        p.asMap());
  }
}
