package io.sparkddpm.eval;

import com.google.gson.JsonObject;
import io.sparkddpm.base.BadInputException;
import java.io.IOException;
import java.time.Instant;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which classifier an evaluation uses: the one {@code --classifier} holds when it was trained on
 * this data for images of the samples' shape ({@link #checkFits}), else one trained here on the
 * data set's own labels ({@link #train}).
 */
final class Classifiers {
  private static final Logger LOG = LoggerFactory.getLogger(Classifiers.class);

  private Classifiers() {}

  /**
   * A reused classifier must have been trained on this --data for images of the samples' shape; one
   * written before the record was kept is trusted by its shape alone, with a warning.
   */
  static void checkFits(Classifier c, TrainingData now, EvaluateConfig cfg) {
    LeNetConfig shape = c.config();
    java.util.Optional<TrainingData> was = c.trainedOn();
    String problem;
    if (was.isPresent()) {
      problem = was.get().differenceTo(now).orElse(null);
    } else {
      problem =
          shape.inChannels() == now.channels() && shape.sampleSize() == now.size()
              ? null
              : "it takes "
                  + TrainingData.shape(shape.inChannels(), shape.sampleSize())
                  + " images, the samples are "
                  + TrainingData.shape(now.channels(), now.size());
      if (problem == null) {
        LOG.warn(
            "--classifier {} records no training data (written by an older version); it is used"
                + " for --data {} unchecked",
            cfg.classifierPath(),
            cfg.data());
      }
    }
    if (problem != null) {
      throw new BadInputException(
          String.format(
              "--classifier %s was trained on %s (%s, %s classes), which does not fit --data %s"
                  + " and --samples %s: %s; name another --classifier folder (an empty one gets a"
                  + " classifier trained for this data)",
              cfg.classifierPath(),
              was.map(TrainingData::path).orElse("unrecorded data"),
              TrainingData.shape(shape.inChannels(), shape.sampleSize()),
              shape.numClasses(),
              cfg.data(),
              cfg.samples(),
              problem));
    }
  }

  static Classifier read(Configuration conf, Path dir) throws IOException {
    try {
      return Classifier.read(conf, dir);
    } catch (IllegalArgumentException e) {
      throw new BadInputException("--classifier: " + e.getMessage());
    }
  }

  /** Trains the classifier on the data set's own labels, in the samples' shape. */
  static Classifier train(
      SparkSession spark,
      EvaluateConfig cfg,
      int partitions,
      LabelledSet data,
      ImageSets.Shape shape)
      throws IOException {
    int c = shape.channels();
    int side = shape.side();
    spark
        .sparkContext()
        .setJobDescription("evaluate: classifier images (" + data.describe(false) + ")");
    LabelledImages train =
        LabelledSet.onData(
            () ->
                LabelledImages.collect(
                    data.part(spark, false, shape, partitions, cfg.classifierLimit()), c, side));
    spark
        .sparkContext()
        .setJobDescription("evaluate: classifier test images (" + data.describe(true) + ")");
    LabelledImages test =
        LabelledSet.onData(
            () -> LabelledImages.collect(data.part(spark, true, shape, partitions, 0), c, side));
    int classes = Math.max(train.classes(), test.classes());
    BadInputException.check(
        classes >= 2,
        "--data: " + cfg.data() + " has one class (label 0): the classifier needs at least two");
    LeNetConfig config;
    try {
      config = LeNetConfig.forImages(c, side, classes);
    } catch (IllegalArgumentException e) {
      throw new BadInputException(
          "--samples " + cfg.samples() + " are " + shape + ": " + e.getMessage());
    }
    LOG.info(
        "training the classifier ({} epochs, {} classes, {} images) for {}",
        cfg.classifierEpochs(),
        classes,
        shape,
        cfg.classifierPath());
    JsonObject provenance = new JsonObject();
    provenance.addProperty("data", cfg.data());
    provenance.addProperty("train", data.describe(false));
    provenance.addProperty("test", data.describe(true));
    provenance.addProperty("application_id", spark.sparkContext().applicationId());
    provenance.addProperty("time", Instant.now().toString());
    Classifier classifier =
        ClassifierTraining.train(
            config,
            train,
            test,
            new ClassifierTraining.Settings(
                cfg.classifierEpochs(),
                cfg.classifierBatchSize(),
                cfg.classifierLr(),
                cfg.seed(),
                cfg.classifierShift()),
            data.record(spark.sparkContext().hadoopConfiguration(), shape, classes),
            provenance);
    double accuracy = classifier.testAccuracy();
    LOG.info(String.format(Locale.ROOT, "classifier test accuracy %.4f", accuracy));
    System.out.printf(Locale.ROOT, "classifier test accuracy %.4f%n", accuracy);
    if (accuracy < cfg.minClassifierAccuracy()) {
      throw new IllegalStateException(
          String.format(
              Locale.ROOT,
              "the classifier reached test accuracy %.4f, below --min-classifier-accuracy %s;"
                  + " train longer (--classifier-epochs) or on more images",
              accuracy,
              cfg.values().get("min-classifier-accuracy")));
    }
    return classifier;
  }
}
