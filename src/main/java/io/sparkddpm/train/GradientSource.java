package io.sparkddpm.train;

import java.util.List;

/**
 * Where a step's partial gradients come from: Spark tasks over cached shards, or the same
 * computation in this JVM (the baseline without Spark, and the reference in tests).
 */
public interface GradientSource extends AutoCloseable {
  /**
   * The partial results of every shard for {@code plan} with weights {@code params}, in shard
   * order.
   */
  List<GradientStep.Partial> compute(StepPlan plan, float[] params);

  /** Number of images over all shards. */
  long datasetSize();

  /** Number of shards. */
  int shards();

  @Override
  default void close() {}
}
