package io.sparkddpm.train;

import io.sparkddpm.base.BadInputException;
import io.sparkddpm.data.DataImage;
import io.sparkddpm.data.ImageSource;
import io.sparkddpm.data.PixelRange;
import io.sparkddpm.data.Preprocess;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;

/**
 * The training set as one {@link Shard} per partition, the input of every training mode.
 *
 * <p>The shards are cached in executor memory, not checkpointed: each partition is built from its
 * own slice of the source files (see {@link ImageSource}), so a step's task carries no pixels and a
 * shard lost with its executor is rebuilt from the files by the task that needs it next. The
 * rebuilt shard is bitwise the old one (same rows, same decoding and resize), so the step's result
 * is too.
 */
public final class Shards {
  private Shards() {}

  /**
   * As {@link #load(SparkSession, String, ImageSource.Columns, ImageSource.Target, Preprocess, int,
   * long)} for the tutorial's model: one channel, 32x32, Hugging Face's column names.
   */
  public static JavaRDD<Shard> load(SparkSession spark, String data, int partitions, long limit) {
    return load(
        spark,
        data,
        ImageSource.Columns.DEFAULT,
        new ImageSource.Target(1, 32),
        new Preprocess(32, false, false, PixelRange.MINUS_ONE_TO_ONE),
        partitions,
        limit);
  }

  /**
   * The first {@code limit} ({@code 0}: all) training images of {@code data}, converted to {@code
   * target} (channels, shorter side resized to the resolution of {@code preprocess}, whose crops
   * and flips the shards apply per epoch), in {@code partitions} shards, cached (nothing is
   * computed until the first action; a bad image found then surfaces through {@link #badInput}).
   *
   * @throws BadInputException when the driver finds {@code data} unusable
   */
  public static JavaRDD<Shard> load(
      SparkSession spark,
      String data,
      ImageSource.Columns columns,
      ImageSource.Target target,
      Preprocess preprocess,
      int partitions,
      long limit) {
    if (target.side() != preprocess.resolution()) {
      throw new IllegalArgumentException(target + " and " + preprocess + " differ in size");
    }
    JavaRDD<DataImage> images;
    try {
      images = ImageSource.load(spark, data, columns, target, partitions, limit);
    } catch (IllegalArgumentException e) {
      throw new BadInputException("--data: " + e.getMessage());
    }
    int channels = target.channels();
    // MEMORY_ONLY: a block that does not fit, or is lost, is recomputed from the files.
    return images
        .mapPartitions(it -> List.of(Shard.ofImages(it, channels, preprocess)).iterator())
        .persist(StorageLevel.MEMORY_ONLY());
  }

  /**
   * The bad input a task found, as the driver sees a failed job: Spark wraps the task's exception
   * in a {@code SparkException} whose cause is the exception itself when it deserializes, and whose
   * message holds the task's {@code toString()} otherwise ("... Lost task 0.3 ...:
   * java.lang.IllegalArgumentException: file: row 3: image.bytes is not ..."). Returns a {@link
   * BadInputException} carrying the task's message, or null when {@code failure} is no bad input.
   */
  public static BadInputException badInput(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof BadInputException b) {
        return new BadInputException(b.getMessage(), failure);
      }
      if (t instanceof IllegalArgumentException && t != failure) {
        return new BadInputException("--data: " + t.getMessage(), failure);
      }
    }
    String m = failure.getMessage();
    String marker = "java.lang.IllegalArgumentException: ";
    int at = m == null ? -1 : m.indexOf(marker);
    if (failure instanceof org.apache.spark.SparkException && at >= 0) {
      String rest = m.substring(at + marker.length());
      int end = rest.indexOf('\n');
      return new BadInputException(
          "--data: " + (end >= 0 ? rest.substring(0, end) : rest).strip(), failure);
    }
    return null;
  }
}
