package io.sparkddpm.train;

import io.sparkddpm.executor.ExecutorModels;
import io.sparkddpm.model.UNetConfig;
import java.util.ArrayList;
import java.util.List;

/** The step computation in this JVM, shard after shard, with no Spark involved. */
public final class LocalGradients implements GradientSource {
  private final List<Shard> shards;
  private final UNetConfig config;
  private final Runnable betweenForwardAndBackward;
  private long calls;

  /** Computes over {@code shards} with a model of {@code config}. */
  public LocalGradients(List<Shard> shards, UNetConfig config) {
    this(shards, config, GradientStep.NOTHING);
  }

  /**
   * As {@link #LocalGradients(List, UNetConfig)}, running {@code betweenForwardAndBackward} in
   * every step after the forward pass: tests force a garbage collection there to show that a step
   * does not depend on when the JVM collects.
   */
  public LocalGradients(List<Shard> shards, UNetConfig config, Runnable betweenForwardAndBackward) {
    this.shards = List.copyOf(shards);
    this.config = config;
    this.betweenForwardAndBackward = betweenForwardAndBackward;
  }

  @Override
  public List<GradientStep.Partial> compute(StepPlan plan, float[] params) {
    ExecutorModels.Loaded m = ExecutorModels.get(config);
    List<GradientStep.Partial> out = new ArrayList<>();
    synchronized (ExecutorModels.STEP_LOCK) {
      m.load(params, --calls); // negative ids never collide with Spark broadcast ids
      for (Shard shard : shards) {
        out.add(
            GradientStep.compute(
                m.model(), m.manager(), m.device(), shard, plan, null, betweenForwardAndBackward));
      }
    }
    return out;
  }

  @Override
  public long datasetSize() {
    return shards.stream().mapToLong(Shard::size).sum();
  }

  @Override
  public int shards() {
    return shards.size();
  }
}
