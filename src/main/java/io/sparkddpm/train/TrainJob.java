package io.sparkddpm.train;

import io.sparkddpm.base.BadInputException;
import io.sparkddpm.cli.GracefulStop;
import io.sparkddpm.cli.HadoopPaths;
import io.sparkddpm.cli.JobRunner;
import io.sparkddpm.cli.Options;
import io.sparkddpm.data.ImageSource;
import io.sparkddpm.data.Preprocess;
import io.sparkddpm.io.HadoopFiles;
import io.sparkddpm.model.UNetConfig;
import io.sparkddpm.tracking.TrackingOptions;
import io.sparkddpm.train.persistent.PersistentGradients;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiConsumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Data-parallel DDPM training on Spark: reads MNIST, caches one shard per task slot, and runs the
 * {@link Trainer} loop, with one Spark job per optimizer step ({@code --mode per-step}) or one
 * persistent barrier stage for the whole run ({@code --mode persistent}).
 *
 * <p>Usage: {@code spark-submit --class TrainJob app.jar --data <path> --output <dir> [options]}
 */
public final class TrainJob implements JobRunner.Job<TrainConfig> {
  private static final Logger LOG = LoggerFactory.getLogger(TrainJob.class);

  @Override
  public Options<TrainConfig> options() {
    return TrainConfig.OPTIONS;
  }

  @Override
  public boolean stopsBetweenSteps() {
    return true;
  }

  @Override
  public String run(SparkSession spark, TrainConfig cfg) throws IOException {
    Trainer.Result r = train(spark, cfg);
    if (r.stopped()) {
      return String.format(
          "TrainJob stopped by a shutdown request after %d steps; %s holds the last completed"
              + " step, --auto-resume continues from it",
          r.steps(), r.finalCheckpoint());
    }
    return String.format(
        "TrainJob done: %d steps, loss %.4f -> %.4f, final checkpoint %s",
        r.steps(), r.firstLoss(), r.lastLoss(), r.finalCheckpoint());
  }

  /**
   * Trains as configured; {@code beforeStep} gets the gradient source and a label before each step
   * (the public overload labels Spark jobs with it; tests also reach the source).
   */
  static Trainer.Result train(
      SparkSession spark, TrainConfig cfg, BiConsumer<GradientSource, String> beforeStep)
      throws IOException {
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Configuration conf = sc.hadoopConfiguration();
    HadoopPaths.check(conf, "--data", cfg.data());
    HadoopPaths.check(conf, "--output", cfg.output());
    UNetConfig unet = unetConfig(conf, cfg);
    TrackingOptions tracked = TrackingOptions.of(cfg.values(), System.getenv());
    int partitions = cfg.partitions() > 0 ? cfg.partitions() : sc.defaultParallelism();
    LOG.info("TrainJob options: {}", cfg.values());
    // Load libtorch on the driver first: a missing native jar fails here, before any Spark job,
    // and executors on the driver's machine find the library already extracted.
    LOG.info("engine: {}", io.sparkddpm.model.Engines.describe());

    ImageSource.Target target = target(unet, cfg.modelConfig());
    Preprocess preprocess = preprocess(unet, cfg);
    sc.setJobDescription("read images from " + cfg.data());
    JavaRDD<Shard> shards =
        Shards.load(
            spark,
            cfg.data(),
            new ImageSource.Columns(cfg.imageColumn(), cfg.labelColumn()),
            target,
            preprocess,
            partitions,
            cfg.limit());

    Map<String, String> provenance = new LinkedHashMap<>();
    provenance.put("data", cfg.data());
    provenance.put("application_id", sc.sc().applicationId());
    provenance.put("master", sc.master());
    provenance.put("partitions", Integer.toString(partitions));
    provenance.put("code_version", codeVersion());
    provenance.put("started", Instant.now().toString());
    try (SparkGradients perStep = readShards(sc, shards, unet)) {
      provenance.put("rows", Long.toString(perStep.datasetSize()));
      // Persistent mode reads the same cached shards from one barrier stage; closing it stops the
      // stage and its endpoint, and the shards are released by perStep's own close.
      GradientSource source =
          cfg.mode() == TrainConfig.Mode.PERSISTENT
              ? new PersistentGradients(
                  sc,
                  perStep,
                  unet,
                  cfg.stageRetries(),
                  Duration.ofSeconds(cfg.exchangeTimeoutSeconds()))
              : perStep;
      try (TrainTracking tracking = new TrainTracking(tracked, conf, cfg, provenance)) {
        return new Trainer(
                cfg, unet, conf, provenance, DataFingerprint.of(conf, cfg.data()), tracking)
            .train(source, label -> beforeStep.accept(source, label), GracefulStop::requested);
      } finally {
        if (source != perStep) {
          source.close();
        }
      }
    }
  }

  /**
   * The per-step gradient source over {@code shards}; building it is the first Spark job, which
   * reads and decodes the images, so a bad image a task finds surfaces here as bad input.
   */
  private static SparkGradients readShards(
      JavaSparkContext sc, JavaRDD<Shard> shards, UNetConfig unet) {
    try {
      return new SparkGradients(sc, shards, unet);
    } catch (RuntimeException e) {
      BadInputException bad = Shards.badInput(e);
      shards.unpersist(false);
      throw bad != null ? bad : e;
    } catch (Exception e) { // Spark's checked exceptions reach Java code undeclared
      BadInputException bad = Shards.badInput(e);
      shards.unpersist(false);
      throw bad != null ? bad : new IllegalStateException(e.getMessage(), e);
    }
  }

  /** The images the model takes; a model that cannot train on images is a usage error. */
  static ImageSource.Target target(UNetConfig unet, String modelConfig) {
    String name = modelConfig.isEmpty() ? "the tutorial's model" : modelConfig;
    if (unet.inChannels() != unet.outChannels()) {
      throw new BadInputException(
          "--model-config "
              + name
              + ": in_channels "
              + unet.inChannels()
              + " and out_channels "
              + unet.outChannels()
              + " differ; the model predicts noise of the image's channels");
    }
    try {
      return new ImageSource.Target(unet.inChannels(), unet.sampleSize());
    } catch (IllegalArgumentException e) {
      throw new BadInputException("--model-config " + name + ": " + e.getMessage());
    }
  }

  /**
   * The preprocessing of the run; a {@code --resolution} other than the model's {@code sample_size}
   * is a usage error naming both (the UNet is trained, and samples, at its sample_size).
   */
  static Preprocess preprocess(UNetConfig unet, TrainConfig cfg) {
    if (cfg.resolution() > 0 && cfg.resolution() != unet.sampleSize()) {
      throw new BadInputException(
          String.format(
              "--resolution %d differs from sample_size %d of --model-config %s; train at the"
                  + " model's size (leave --resolution out) or give a config with sample_size %d",
              cfg.resolution(),
              unet.sampleSize(),
              cfg.modelConfig().isEmpty() ? "(the tutorial's model)" : cfg.modelConfig(),
              cfg.resolution()));
    }
    return cfg.preprocess(unet.sampleSize());
  }

  /** Trains as configured and returns what the run produced. */
  public static Trainer.Result train(SparkSession spark, TrainConfig cfg) throws IOException {
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    return train(spark, cfg, (source, label) -> sc.setJobDescription(label));
  }

  /**
   * Classes of the labelled training data: MNIST's and Fashion-MNIST's labels are 0..9. A
   * conditional model has one class embedding more, the null class (index {@value}) that label
   * dropout trains and classifier-free guidance samples with.
   */
  static final int CLASSES = 10;

  /**
   * The tutorial's UNet (with {@code num_class_embeds} = {@link #CLASSES} + 1 under {@code
   * --conditional}), or the diffusers {@code config.json} of {@code --model-config}, which must
   * have {@code num_class_embeds} exactly when the run is {@code --conditional}.
   */
  static UNetConfig unetConfig(Configuration conf, TrainConfig cfg) throws IOException {
    String path = cfg.modelConfig();
    if (path.isEmpty()) {
      UNetConfig tutorial = UNetConfig.tutorial();
      return cfg.conditional()
          ? tutorial.toBuilder().numClassEmbeds(CLASSES + 1).build()
          : tutorial;
    }
    Path file = HadoopPaths.check(conf, "--model-config", path);
    UNetConfig unet;
    try {
      unet = UNetConfig.fromJson(HadoopFiles.readText(conf, file), path);
    } catch (IllegalArgumentException e) {
      throw new BadInputException("--model-config: " + e.getMessage());
    }
    Integer embeds = unet.numClassEmbeds();
    if (cfg.conditional() && (embeds == null || embeds != CLASSES + 1)) {
      throw new BadInputException(
          String.format(
              "--conditional needs a model with num_class_embeds = %d (%d classes of --data + the"
                  + " null class), but --model-config %s has num_class_embeds = %s",
              CLASSES + 1, CLASSES, path, embeds));
    }
    if (!cfg.conditional() && embeds != null) {
      throw new BadInputException(
          String.format(
              "--model-config %s has num_class_embeds = %d, a class-conditional model: pass"
                  + " --conditional to train it on the labels of --data",
              path, embeds));
    }
    return unet;
  }

  /** The jar's version, from its manifest (the build's version), or "dev" when run from classes. */
  static String codeVersion() {
    String v = TrainJob.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }
}
