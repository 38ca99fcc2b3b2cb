package io.sparkddpm.train;

import io.sparkddpm.executor.ExecutorModels;
import io.sparkddpm.model.UNetConfig;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;

/**
 * One Spark job per optimizer step over shards cached on the executors: the weights go out as a
 * broadcast, each task returns its shard's partial gradient, collected in partition order.
 */
public final class SparkGradients implements GradientSource {
  private final JavaSparkContext sc;
  private final JavaRDD<Shard> shards;
  private final String configJson;
  private final long size;
  private final int count;

  /**
   * Builds {@code shards} (one per partition, cached: {@link Shards#load}) on the executors and
   * counts their images.
   */
  public SparkGradients(JavaSparkContext sc, JavaRDD<Shard> shards, UNetConfig config) {
    this.sc = sc;
    this.shards = shards;
    this.configJson = config.toJson();
    sc.setJobDescription("cache training shards");
    this.size = this.shards.map(Shard::size).reduce(Integer::sum);
    this.count = shards.getNumPartitions();
  }

  @Override
  public List<GradientStep.Partial> compute(StepPlan plan, float[] params) {
    Broadcast<float[]> weights = sc.broadcast(params);
    try {
      return shards.mapPartitions(new Task(weights, plan, configJson)).collect();
    } finally {
      weights.destroy();
    }
  }

  /** The shards, one per partition, cached on the executors (what the persistent stage reads). */
  public JavaRDD<Shard> cachedShards() {
    return shards;
  }

  @Override
  public long datasetSize() {
    return size;
  }

  @Override
  public int shards() {
    return count;
  }

  @Override
  public void close() {
    shards.unpersist(false);
  }

  /** What an executor runs for one shard and one step. */
  private record Task(Broadcast<float[]> weights, StepPlan plan, String configJson)
      implements FlatMapFunction<Iterator<Shard>, GradientStep.Partial> {
    private static final long serialVersionUID = 1L;

    @Override
    public Iterator<GradientStep.Partial> call(Iterator<Shard> it) {
      TaskContext ctx = TaskContext.get();
      if (plan.failFirstAttempt() && ctx.attemptNumber() == 0 && ctx.partitionId() == 0) {
        throw new IllegalStateException(
            "injected failure (--inject-failure-at-step) in step " + plan.step());
      }
      Shard shard = it.next();
      if (it.hasNext()) { // also lets Spark release the cached block's read lock
        throw new IllegalStateException("a partition must hold exactly one shard");
      }
      ExecutorModels.Loaded m =
          ExecutorModels.get(UNetConfig.fromJson(configJson, "broadcast config"));
      synchronized (ExecutorModels.STEP_LOCK) {
        m.load(weights.value(), weights.id());
        return List.of(GradientStep.compute(m.model(), m.manager(), m.device(), shard, plan))
            .iterator();
      }
    }
  }
}
