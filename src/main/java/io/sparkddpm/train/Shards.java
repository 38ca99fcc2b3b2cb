package io.sparkddpm.train;

import io.sparkddpm.base.BadInputException;
import io.sparkddpm.data.MnistImage;
import io.sparkddpm.data.MnistSource;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;

/**
 * The training set as one {@link Shard} per partition, the input of every training mode.
 *
 * <p>The shards are cached in executor memory, not checkpointed: each partition is built from its
 * own slice of the source files (see {@link MnistSource}), so a step's task carries no pixels and a
 * shard lost with its executor is rebuilt from the files by the task that needs it next. The
 * rebuilt shard is bitwise the old one (same rows, same resize), so the step's result is too.
 */
public final class Shards {
  private Shards() {}

  /**
   * The first {@code limit} ({@code 0}: all) training images of {@code data} in {@code partitions}
   * shards, cached (nothing is computed until the first action).
   *
   * @throws BadInputException when {@code data} holds no readable MNIST training split
   */
  public static JavaRDD<Shard> load(SparkSession spark, String data, int partitions, long limit) {
    JavaRDD<MnistImage> images;
    try {
      images = MnistSource.load(spark, data, MnistSource.Split.TRAIN, partitions, limit);
    } catch (IllegalArgumentException e) {
      throw new BadInputException("--data: " + e.getMessage());
    }
    // MEMORY_ONLY: a block that does not fit, or is lost, is recomputed from the files.
    return images
        .mapPartitions(it -> List.of(Shard.of(it)).iterator())
        .persist(StorageLevel.MEMORY_ONLY());
  }
}
