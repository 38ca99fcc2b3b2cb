package io.sparkddpm.eval;

import io.sparkddpm.base.BadInputException;
import io.sparkddpm.cli.JobRunner;
import io.sparkddpm.cli.Options;
import io.sparkddpm.io.HadoopFiles;
import io.sparkddpm.io.StagedOutput;
import io.sparkddpm.tracking.JobRun;
import io.sparkddpm.tracking.TrackingOptions;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scores a sample set: the classifier's features of the samples against those of the test images of
 * a labelled data set ({@link LabelledSet}; Fréchet distance), its confidence and predicted
 * classes, with the same numbers for as many real training images (floor) and uniform-noise images
 * (ceiling). Features are extracted per partition on the executors; only their sums and Gram
 * matrices come back to the driver.
 *
 * <p>Output, written to a hidden staging folder renamed to {@code --output} when complete: {@code
 * metrics.json}, {@code evaluation.png} (class histogram and a row of samples per predicted class)
 * and, by default, the classifier it trained ({@code classifier/}).
 *
 * <p>Usage: {@code spark-submit --class EvaluateJob app.jar --samples <dir> --data <images>
 * --output <dir>}
 */
public final class EvaluateJob implements JobRunner.Job<EvaluateConfig> {
  private static final Logger LOG = LoggerFactory.getLogger(EvaluateJob.class);

  /** What a run measured, and where it wrote it. */
  public record Result(
      Path output,
      SetMetrics samples,
      SetMetrics floor,
      SetMetrics ceiling,
      double classifierAccuracy,
      boolean classifierTrained) {}

  /** Thrown after the output is written when the samples' FID is worse than {@code --max-fid}. */
  public static final class QualityGateFailed extends RuntimeException {
    private static final long serialVersionUID = 1L;

    QualityGateFailed(String message) {
      super(message);
    }
  }

  @Override
  public Options<EvaluateConfig> options() {
    return EvaluateConfig.OPTIONS;
  }

  @Override
  public String run(SparkSession spark, EvaluateConfig cfg) throws IOException {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    try (JobRun tracked =
        JobRun.start(
            TrackingOptions.of(cfg.values(), System.getenv()),
            conf,
            "EvaluateJob",
            cfg.output(),
            JobRun.trainingRunOfSamples(conf, cfg.samples()),
            Map.of(
                "spark.application_id", spark.sparkContext().applicationId(),
                "spark.master", spark.sparkContext().master(),
                "samples", cfg.samples()),
            cfg.values())) {
      Result r = evaluate(spark, cfg);
      tracked.metrics(trackedMetrics(r));
      tracked.artifact(new Path(r.output(), "metrics.json"));
      tracked.artifact(new Path(r.output(), "evaluation.png"));
      String line = report(r, cfg); // throws after logging when the quality gate fails
      tracked.succeeded();
      return line;
    }
  }

  /** metrics.json's headline numbers, as MLflow metrics. */
  private static Map<String, Double> trackedMetrics(Result r) {
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("fid", r.samples().fid());
    m.put("mean_confidence", r.samples().meanConfidence());
    m.put("confident_fraction", r.samples().confidentFraction());
    m.put("blank_fraction", r.samples().blankFraction());
    m.put("class_entropy_bits", r.samples().entropyBits());
    m.put("floor_fid", r.floor().fid());
    m.put("floor_mean_confidence", r.floor().meanConfidence());
    m.put("ceiling_fid", r.ceiling().fid());
    m.put("ceiling_mean_confidence", r.ceiling().meanConfidence());
    m.put("classifier_accuracy", r.classifierAccuracy());
    m.put("samples", (double) r.samples().count());
    if (!Double.isNaN(r.samples().accuracy())) {
      m.put("conditional_accuracy", r.samples().accuracy());
    }
    return m;
  }

  private static String report(Result r, EvaluateConfig cfg) {
    String line =
        String.format(
            Locale.ROOT,
            "EvaluateJob done: FID %.3f (floor %.3f, ceiling %.3f), mean confidence %.3f, blank"
                + " %.3f, class entropy %.3f bits, %d samples; classifier test accuracy %.4f -> %s",
            r.samples().fid(),
            r.floor().fid(),
            r.ceiling().fid(),
            r.samples().meanConfidence(),
            r.samples().blankFraction(),
            r.samples().entropyBits(),
            r.samples().count(),
            r.classifierAccuracy(),
            r.output());
    if (r.samples().fid() > cfg.maxFid()) { // false for NaN: no gate
      System.out.println(line);
      throw new QualityGateFailed(
          String.format(
              Locale.ROOT,
              "FID %.3f is worse than --max-fid %s (metrics written to %s)",
              r.samples().fid(),
              cfg.values().get("max-fid"),
              r.output()));
    }
    return line;
  }

  /** Runs the evaluation as configured. */
  public static Result evaluate(SparkSession spark, EvaluateConfig cfg) throws IOException {
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Configuration conf = sc.hadoopConfiguration();
    Path out = new Path(cfg.output());
    FileSystem fs = out.getFileSystem(conf);
    if (fs.exists(out) && !cfg.overwrite()) {
      throw new BadInputException(
          "--output " + out + " already exists; pass --overwrite to replace it");
    }
    io.sparkddpm.model.Engines.pytorch(); // fail fast, naming the native jar, if it is missing
    int partitions = cfg.partitions() > 0 ? cfg.partitions() : sc.defaultParallelism();
    ImageSets.Source source = ImageSets.locate(conf, cfg.samples());
    ImageSets.Shape shape = onSamples(cfg, () -> ImageSets.shape(spark, source));
    LabelledSet data = LabelledSet.locate(conf, cfg.data(), cfg.columns());
    data.check(spark, shape);

    Path classifierDir = new Path(cfg.classifierPath());
    boolean reuse = !cfg.classifier().isBlank() && Classifier.exists(conf, classifierDir);
    Classifier existing = reuse ? Classifiers.read(conf, classifierDir) : null;
    if (existing != null) {
      Classifiers.checkFits(
          existing, data.record(conf, shape, existing.config().numClasses()), cfg);
    }
    int featureDim = (existing != null ? existing.config() : LeNetConfig.defaults()).featureDim();

    // Decode and check every sample before anything is trained or written.
    JavaRDD<EvalImage> samples =
        ImageSets.samples(spark, source, partitions, shape).persist(StorageLevel.MEMORY_AND_DISK());
    long n = onSamples(cfg, samples::count);
    BadInputException.check(n > 0, "--samples " + cfg.samples() + " holds no images");
    BadInputException.check(
        n >= featureDim,
        String.format(
            "--samples %s holds %d images, fewer than the classifier's feature dimension %d: the"
                + " covariance of the features needs at least %d",
            cfg.samples(), n, featureDim, featureDim));
    LOG.info("{} samples ({}, {}) from {}", n, source.kind(), shape, cfg.samples());

    Broadcast<Classifier> bc = null;
    try (StagedOutput staged = StagedOutput.directory(conf, out)) {
      Path staging = staged.path();
      Classifier classifier = existing;
      if (classifier == null) {
        classifier = Classifiers.train(spark, cfg, partitions, data, shape);
      }
      ImageSets.checkClasses(spark, source, classifier.config().numClasses());
      if (existing == null) {
        // The default location is inside the output, so it is committed with it.
        classifier.write(
            conf, cfg.classifier().isBlank() ? new Path(staging, "classifier") : classifierDir);
      }
      bc = sc.broadcast(classifier);
      Broadcast<Classifier> model = bc;
      sc.setJobDescription("evaluate: reference features (" + data.describe(true) + ")");
      FeatureStats reference =
          LabelledSet.onData(
              () ->
                  FeatureTask.of(
                      data.part(spark, true, shape, partitions, cfg.referenceLimit()), model, cfg));
      sc.setJobDescription("evaluate: sample features");
      FeatureStats sampleStats = onSamples(cfg, () -> FeatureTask.of(samples, model, cfg));
      sc.setJobDescription("evaluate: floor features (" + data.describe(false) + ")");
      FeatureStats floorStats =
          LabelledSet.onData(
              () -> FeatureTask.of(data.part(spark, false, shape, partitions, n), model, cfg));
      sc.setJobDescription("evaluate: ceiling (uniform noise) features");
      FeatureStats ceilingStats =
          FeatureTask.of(ImageSets.noise(spark, n, cfg.seed(), partitions, shape), model, cfg);

      Result r =
          new Result(
              out,
              SetMetrics.of(sampleStats, reference),
              SetMetrics.of(floorStats, reference),
              SetMetrics.of(ceilingStats, reference),
              classifier.testAccuracy(),
              existing == null);
      String json = MetricsJson.of(sc, cfg, source, data, r, reference, classifier);
      HadoopFiles.writeText(conf, new Path(staging, "metrics.json"), json);
      HadoopFiles.write(
          conf,
          new Path(staging, "evaluation.png"),
          EvaluationFigure.render(
              r, sampleStats.examples, cfg.samples(), shape.channels(), shape.side()));
      staged.replace(); // --overwrite: the old one stays until then
      LOG.info("metrics: {}", json);
      return r;
    } finally {
      samples.unpersist(false);
      if (bc != null) {
        bc.destroy();
      }
    }
  }

  /**
   * Runs a Spark action over the samples; an image the executors refused (wrong size or mode, not a
   * PNG, null bytes) becomes a usage error naming the file, row and field.
   */
  private static <T> T onSamples(EvaluateConfig cfg, IoSupplier<T> action) throws IOException {
    try {
      return action.get();
    } catch (BadInputException e) {
      throw e;
    } catch (Exception e) { // Spark's SparkException is checked, but Scala throws it undeclared
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof IllegalArgumentException) {
          throw new BadInputException("--samples " + cfg.samples() + ": " + t.getMessage());
        }
      }
      throw e;
    }
  }

  /** A supplier that may read files. */
  private interface IoSupplier<T> {
    T get() throws IOException;
  }
}
