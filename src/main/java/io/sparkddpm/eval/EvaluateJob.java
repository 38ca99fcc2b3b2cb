package io.sparkddpm.eval;

import com.google.gson.JsonObject;
import io.sparkddpm.base.BadInputException;
import io.sparkddpm.cli.JobRunner;
import io.sparkddpm.cli.Options;
import io.sparkddpm.data.MnistSource;
import io.sparkddpm.io.HadoopFiles;
import io.sparkddpm.io.StagedOutput;
import io.sparkddpm.tracking.JobRun;
import io.sparkddpm.tracking.TrackingOptions;
import java.io.IOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
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
 * Scores a sample set: the classifier's features of the samples against those of the MNIST test
 * images (Fréchet distance), its confidence and predicted classes, with the same numbers for as
 * many real training images (floor) and uniform-noise images (ceiling). Features are extracted per
 * partition on the executors; only their sums and Gram matrices come back to the driver.
 *
 * <p>Output, written to a hidden staging folder renamed to {@code --output} when complete: {@code
 * metrics.json}, {@code evaluation.png} (class histogram and a row of samples per predicted class)
 * and, by default, the classifier it trained ({@code classifier/}).
 *
 * <p>Usage: {@code spark-submit --class EvaluateJob app.jar --samples <dir> --data <MNIST> --output
 * <dir>}
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
    checkData(spark, cfg);

    Path classifierDir = new Path(cfg.classifierPath());
    boolean reuse = !cfg.classifier().isBlank() && Classifier.exists(conf, classifierDir);
    Classifier existing = reuse ? readClassifier(conf, classifierDir) : null;
    LeNetConfig shape = reuse ? existing.config() : LeNetConfig.defaults();

    // Decode and check every sample before anything is trained or written.
    JavaRDD<EvalImage> samples =
        ImageSets.samples(spark, source, partitions).persist(StorageLevel.MEMORY_AND_DISK());
    long n = onSamples(cfg, samples::count);
    BadInputException.check(n > 0, "--samples " + cfg.samples() + " holds no images");
    BadInputException.check(
        n >= shape.featureDim(),
        String.format(
            "--samples %s holds %d images, fewer than the classifier's feature dimension %d: the"
                + " covariance of the features needs at least %d",
            cfg.samples(), n, shape.featureDim(), shape.featureDim()));
    LOG.info("{} samples ({}) from {}", n, source.kind(), cfg.samples());

    Broadcast<Classifier> bc = null;
    try (StagedOutput staged = StagedOutput.directory(conf, out)) {
      Path staging = staged.path();
      Classifier classifier = existing;
      if (classifier == null) {
        classifier = trainClassifier(spark, cfg, partitions, shape);
        // The default location is inside the output, so it is committed with it.
        classifier.write(
            conf, cfg.classifier().isBlank() ? new Path(staging, "classifier") : classifierDir);
      }
      bc = sc.broadcast(classifier);
      Broadcast<Classifier> model = bc;
      int k = cfg.examplesPerClass();
      sc.setJobDescription("evaluate: reference features (MNIST test)");
      FeatureStats reference =
          FeatureTask.of(
              ImageSets.mnist(
                  spark, cfg.data(), MnistSource.Split.TEST, partitions, cfg.referenceLimit()),
              model,
              cfg.blankLevel(),
              k);
      sc.setJobDescription("evaluate: sample features");
      FeatureStats sampleStats =
          onSamples(cfg, () -> FeatureTask.of(samples, model, cfg.blankLevel(), k));
      sc.setJobDescription("evaluate: floor (MNIST train) features");
      FeatureStats floorStats =
          FeatureTask.of(
              ImageSets.mnist(spark, cfg.data(), MnistSource.Split.TRAIN, partitions, n),
              model,
              cfg.blankLevel(),
              k);
      sc.setJobDescription("evaluate: ceiling (uniform noise) features");
      FeatureStats ceilingStats =
          FeatureTask.of(
              ImageSets.noise(spark, n, cfg.seed(), partitions), model, cfg.blankLevel(), k);

      Result r =
          new Result(
              out,
              SetMetrics.of(sampleStats, reference),
              SetMetrics.of(floorStats, reference),
              SetMetrics.of(ceilingStats, reference),
              classifier.testAccuracy(),
              existing == null);
      String json = MetricsJson.of(sc, cfg, source, r, reference, classifier);
      HadoopFiles.writeText(conf, new Path(staging, "metrics.json"), json);
      HadoopFiles.write(
          conf,
          new Path(staging, "evaluation.png"),
          EvaluationFigure.render(r, sampleStats.examples, cfg.samples()));
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

  /** A missing or unreadable MNIST is a usage error, found before any work is done. */
  private static void checkData(SparkSession spark, EvaluateConfig cfg) {
    for (MnistSource.Split split : MnistSource.Split.values()) {
      try {
        MnistSource.load(spark, cfg.data(), split, 1, 1);
      } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
        throw new BadInputException("--data: " + e.getMessage());
      }
    }
  }

  private static Classifier readClassifier(Configuration conf, Path dir) throws IOException {
    try {
      return Classifier.read(conf, dir);
    } catch (IllegalArgumentException e) {
      throw new BadInputException("--classifier: " + e.getMessage());
    }
  }

  private static Classifier trainClassifier(
      SparkSession spark, EvaluateConfig cfg, int partitions, LeNetConfig shape) {
    LOG.info(
        "training the classifier ({} epochs) for {}", cfg.classifierEpochs(), cfg.classifierPath());
    JsonObject provenance = new JsonObject();
    provenance.addProperty("data", cfg.data());
    provenance.addProperty("application_id", spark.sparkContext().applicationId());
    provenance.addProperty("time", Instant.now().toString());
    Classifier c =
        ClassifierTraining.train(
            shape,
            LabelledImages.load(
                spark, cfg.data(), MnistSource.Split.TRAIN, partitions, cfg.classifierLimit()),
            LabelledImages.load(spark, cfg.data(), MnistSource.Split.TEST, partitions, 0),
            new ClassifierTraining.Settings(
                cfg.classifierEpochs(),
                cfg.classifierBatchSize(),
                cfg.classifierLr(),
                cfg.seed(),
                cfg.classifierShift()),
            provenance);
    LOG.info(String.format(Locale.ROOT, "classifier test accuracy %.4f", c.testAccuracy()));
    System.out.printf(Locale.ROOT, "classifier test accuracy %.4f%n", c.testAccuracy());
    if (c.testAccuracy() < cfg.minClassifierAccuracy()) {
      throw new IllegalStateException(
          String.format(
              Locale.ROOT,
              "the classifier reached test accuracy %.4f, below --min-classifier-accuracy %s;"
                  + " train longer (--classifier-epochs) or on more images",
              c.testAccuracy(),
              cfg.values().get("min-classifier-accuracy")));
    }
    return c;
  }

  /**
   * Runs a Spark action over the samples; an image the executors refused (wrong size or mode, not a
   * PNG, null bytes) becomes a usage error naming the file, row and field.
   */
  private static <T> T onSamples(EvaluateConfig cfg, Supplier<T> action) {
    try {
      return action.get();
    } catch (Exception e) { // Spark's SparkException is checked, but Scala throws it undeclared
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof IllegalArgumentException) {
          throw new BadInputException("--samples " + cfg.samples() + ": " + t.getMessage());
        }
      }
      throw e;
    }
  }
}
