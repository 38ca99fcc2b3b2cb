package io.sparkddpm.data;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.SerializableConfiguration;

/**
 * An IDX pair as an RDD whose partitions each read their own rows from the files.
 *
 * <p>The driver only checks the files and cuts {@code [0, n)} into one row range per partition;
 * each task opens the files through Hadoop and reads its range (a seek in a raw file, a streamed
 * read up to it in a gzip one). So a task carries two paths and two numbers instead of pixels, and
 * Spark can recompute any partition from the files, e.g. after losing the executor that cached it.
 * The executors must therefore see the same path as the driver (a shared file system, or the same
 * local files on every machine).
 */
final class IdxSlices {
  private IdxSlices() {}

  /** Rows {@code [from, to)} of an IDX pair; paths as strings, which Hadoop's Path is not. */
  record Slice(String images, String labels, long from, long to) implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Reads the slice's images; {@code index} is the row in the files. */
    List<MnistImage> read(Configuration conf) {
      byte[][] pixels = IdxReader.readImages(new Path(images), conf, from, to);
      byte[] labelBytes = IdxReader.readLabels(new Path(labels), conf, from, to);
      List<MnistImage> out = new ArrayList<>(pixels.length);
      for (int i = 0; i < pixels.length; i++) {
        out.add(new MnistImage(from + i, labelBytes[i], pixels[i]));
      }
      return out;
    }
  }

  /**
   * Checks the pair on the driver (the whole of both files, as reading them would) and returns the
   * first {@code limit} rows ({@code 0}: all) as an RDD of {@code partitions} slices.
   */
  static JavaRDD<MnistImage> load(
      SparkSession spark, Path images, Path labels, int partitions, long limit) {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    try {
      // Executors run elsewhere (another working directory, another machine): full paths only.
      images = images.getFileSystem(conf).makeQualified(images);
      labels = labels.getFileSystem(conf).makeQualified(labels);
    } catch (IOException e) {
      throw new UncheckedIOException(images + ": " + e.getMessage(), e);
    }
    long count = IdxReader.countImages(images, conf);
    long labelCount = IdxReader.readLabels(labels, conf).length;
    if (count != labelCount) {
      throw new IllegalArgumentException(
          "count mismatch: "
              + images
              + " holds "
              + count
              + " images but "
              + labels
              + " holds "
              + labelCount
              + " labels");
    }
    long n = limit > 0 ? Math.min(limit, count) : count;
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Broadcast<SerializableConfiguration> hadoop = sc.broadcast(new SerializableConfiguration(conf));
    return sc.parallelize(slices(images, labels, n, partitions), partitions)
        .flatMap(s -> s.read(hadoop.value().value()).iterator());
  }

  /**
   * Cuts {@code [0, n)} into {@code partitions} ranges exactly as {@code parallelize} cuts a list
   * of {@code n} elements (start = i * n / partitions), so each partition holds the same images,
   * and therefore sums the same partial gradient, as when the driver parallelized the pixels.
   */
  static List<Slice> slices(Path images, Path labels, long n, int partitions) {
    List<Slice> out = new ArrayList<>(partitions);
    for (int i = 0; i < partitions; i++) {
      long from = i * n / partitions;
      long to = (i + 1) * n / partitions;
      out.add(new Slice(images.toString(), labels.toString(), from, to));
    }
    return out;
  }
}
