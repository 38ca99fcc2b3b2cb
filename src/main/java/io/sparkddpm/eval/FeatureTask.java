package io.sparkddpm.eval;

import ai.djl.ndarray.NDManager;
import io.sparkddpm.executor.ExecutorModels;
import io.sparkddpm.model.Precision;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;

/**
 * What one Spark task of EvaluateJob does: run the broadcast classifier over its partition's images
 * in batches, in the run's {@code --precision}, and return the partition's {@link FeatureStats}.
 * The driver sums them in partition order, so the result does not depend on which task finished
 * first.
 */
final class FeatureTask implements FlatMapFunction<Iterator<EvalImage>, FeatureStats> {
  private static final long serialVersionUID = 1L;

  /** Images per forward pass: LeNet's activations for 256 images take about 4 MB. */
  static final int BATCH = 256;

  private final Broadcast<Classifier> classifier;
  private final int blankLevel;
  private final int examplesPerClass;
  private final Precision precision;

  FeatureTask(
      Broadcast<Classifier> classifier, int blankLevel, int examplesPerClass, Precision precision) {
    this.classifier = classifier;
    this.blankLevel = blankLevel;
    this.examplesPerClass = examplesPerClass;
    this.precision = precision;
  }

  /** The statistics of {@code images}: one task per partition, summed on the driver. */
  static FeatureStats of(
      JavaRDD<EvalImage> images, Broadcast<Classifier> classifier, EvaluateConfig cfg) {
    List<FeatureStats> parts =
        images
            .mapPartitions(
                new FeatureTask(
                    classifier, cfg.blankLevel(), cfg.examplesPerClass(), cfg.precision()))
            .collect();
    FeatureStats total = parts.get(0);
    for (int p = 1; p < parts.size(); p++) {
      total.merge(parts.get(p));
    }
    return total;
  }

  @Override
  public Iterator<FeatureStats> call(Iterator<EvalImage> images) {
    ExecutorModels.useTaskThreads();
    Classifier c = classifier.value();
    LeNetConfig config = c.config();
    FeatureStats stats =
        new FeatureStats(config.featureDim(), config.numClasses(), blankLevel, examplesPerClass);
    int pixels = config.imageBytes();
    try (NDManager manager = io.sparkddpm.model.Engines.pytorch().newBaseManager()) {
      precision.warnIfSlowOn(manager.getDevice());
      LeNet net = c.build(manager, precision);
      EvalImage[] batch = new EvalImage[BATCH];
      while (images.hasNext()) {
        int n = 0;
        while (n < BATCH && images.hasNext()) {
          batch[n++] = images.next();
        }
        byte[] x = new byte[n * pixels];
        for (int i = 0; i < n; i++) {
          System.arraycopy(batch[i].pixels(), 0, x, i * pixels, pixels);
        }
        Classifier.Output out = Classifier.predict(net, manager, x, n);
        for (int i = 0; i < n; i++) {
          stats.add(
              batch[i],
              out.probabilities(),
              i * config.numClasses(),
              out.features(),
              i * config.featureDim());
        }
      }
    }
    return List.of(stats).iterator();
  }
}
