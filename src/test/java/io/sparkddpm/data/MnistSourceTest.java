package io.sparkddpm.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.sparkddpm.SparkSessionTestBase;
import io.sparkddpm.data.MnistSource.Split;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MnistSourceTest extends SparkSessionTestBase {
  private static final StructType HF_SCHEMA =
      new StructType()
          .add(
              "image",
              new StructType().add("bytes", DataTypes.BinaryType).add("path", DataTypes.StringType))
          .add("label", DataTypes.LongType);

  @TempDir Path dir;

  private static List<MnistImage> collectSorted(JavaRDD<MnistImage> rdd) {
    List<MnistImage> all = new ArrayList<>(rdd.collect());
    all.sort(Comparator.comparingLong(MnistImage::index));
    return all;
  }

  private static byte[] png(byte[] pixels) {
    BufferedImage img = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
    img.getRaster().setDataElements(0, 0, 28, 28, pixels);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ImageIO.write(img, "png", out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** Writes rows in HF's layout as one Parquet file named {@code target}. */
  private void writeHfParquet(List<Row> rows, Path target) throws IOException {
    Path out = Files.createTempDirectory(dir, "spark-out");
    spark
        .createDataFrame(rows, HF_SCHEMA)
        .coalesce(1)
        .write()
        .mode("overwrite")
        .parquet(out.toString());
    try (Stream<Path> files = Files.list(out)) {
      Path part = files.filter(p -> p.toString().endsWith(".parquet")).findFirst().orElseThrow();
      Files.createDirectories(target.getParent());
      Files.move(part, target);
    }
  }

  private static List<Row> hfRows(List<MnistImage> images) {
    List<Row> rows = new ArrayList<>();
    for (MnistImage m : images) {
      rows.add(RowFactory.create(RowFactory.create(png(m.pixels()), null), (long) m.label()));
    }
    return rows;
  }

  @Test
  void idxDirectoryGivesRequestedPartitionsAndEveryImageWithItsLabel() {
    List<MnistImage> images = IdxFiles.images(50, 11);
    IdxFiles.writeSplit(dir, "train", images, true);

    JavaRDD<MnistImage> rdd = MnistSource.load(spark, dir.toString(), Split.TRAIN, 3);

    assertEquals(3, rdd.getNumPartitions());
    assertEquals(images, collectSorted(rdd));
  }

  @Test
  void testSplitIsReadFromDottedIdxNames() throws IOException {
    List<MnistImage> images = IdxFiles.images(12, 12);
    IdxFiles.writeSplit(dir, "t10k", images, false);
    Files.move(dir.resolve("t10k-images-idx3-ubyte"), dir.resolve("t10k-images.idx3-ubyte"));
    Files.move(dir.resolve("t10k-labels-idx1-ubyte"), dir.resolve("t10k-labels.idx1-ubyte"));

    JavaRDD<MnistImage> rdd = MnistSource.load(spark, dir.toUri().toString(), Split.TEST, 2);

    assertEquals(images, collectSorted(rdd));
  }

  @Test
  void huggingFaceParquetGivesTheSameImagesAsIdxInFileOrder() throws IOException {
    List<MnistImage> images = IdxFiles.images(40, 13);
    IdxFiles.writeSplit(dir.resolve("idx"), "train", createDir("idx", images), false);
    Path hf = dir.resolve("hf");
    // Two training shards named like HF's, plus a test shard the TRAIN split must ignore.
    writeHfParquet(hfRows(images.subList(0, 25)), hf.resolve("train-00000-of-00002.parquet"));
    writeHfParquet(hfRows(images.subList(25, 40)), hf.resolve("train-00001-of-00002.parquet"));
    writeHfParquet(hfRows(IdxFiles.images(5, 99)), hf.resolve("test-00000-of-00001.parquet"));

    JavaRDD<MnistImage> fromIdx =
        MnistSource.load(spark, dir.resolve("idx").toString(), Split.TRAIN, 2);
    JavaRDD<MnistImage> fromParquet = MnistSource.load(spark, hf.toString(), Split.TRAIN, 3);

    assertEquals(3, fromParquet.getNumPartitions());
    assertEquals(collectSorted(fromIdx), collectSorted(fromParquet));
  }

  @Test
  void limitKeepsTheFirstImagesSpreadOverEveryPartition() throws IOException {
    List<MnistImage> images = IdxFiles.images(40, 21);
    IdxFiles.writeSplit(dir.resolve("idx"), "train", createDir("idx", images), false);
    Path hf = dir.resolve("hf");
    writeHfParquet(hfRows(images.subList(0, 25)), hf.resolve("train-00000-of-00002.parquet"));
    writeHfParquet(hfRows(images.subList(25, 40)), hf.resolve("train-00001-of-00002.parquet"));

    for (String path : List.of(dir.resolve("idx").toString(), hf.toString())) {
      JavaRDD<MnistImage> rdd = MnistSource.load(spark, path, Split.TRAIN, 3, 12);
      assertEquals(images.subList(0, 12), collectSorted(rdd), path);
      // Each of the 3 partitions holds some of the 12: the cut happens before partitioning.
      List<Integer> sizes = rdd.glom().map(List::size).collect();
      assertEquals(3, sizes.size(), path);
      assertTrue(sizes.stream().allMatch(n -> n > 0), path + ": partition sizes " + sizes);
    }
    // A limit above the split's size keeps everything.
    assertEquals(
        images,
        collectSorted(MnistSource.load(spark, dir.resolve("idx").toString(), Split.TRAIN, 2, 99)));
  }

  private List<MnistImage> createDir(String name, List<MnistImage> images) throws IOException {
    Files.createDirectories(dir.resolve(name));
    return images;
  }

  @Test
  void corruptPngInParquetIsReportedWithFileAndRow() throws IOException {
    List<Row> rows = hfRows(IdxFiles.images(6, 14));
    rows.set(3, RowFactory.create(RowFactory.create(new byte[] {1, 2, 3}, "x.png"), 4L));
    Path file = dir.resolve("broken.parquet");
    writeHfParquet(rows, file);

    Exception e =
        assertThrows(
            Exception.class,
            () -> MnistSource.load(spark, file.toString(), Split.TRAIN, 2).collect());

    // Spark wraps the task's exception; the cause chain carries ours unchanged.
    Throwable cause = e;
    while (!(cause instanceof IllegalArgumentException) && cause.getCause() != null) {
      cause = cause.getCause();
    }
    String message = cause.getMessage();
    assertTrue(cause instanceof IllegalArgumentException, String.valueOf(e));
    assertTrue(message.contains(file.getFileName() + ": row 3"), message);
    assertTrue(message.contains("not a decodable PNG"), message);
    assertTrue(e.getMessage().contains("broken.parquet: row 3"), e.getMessage());
  }

  @Test
  void realTrainingSplitLoadsAll60000ImagesWhenPresent() {
    Path real = IdxFiles.projectDir().resolve("data/mnist");
    assumeTrue(
        Files.isRegularFile(real.resolve("train-images-idx3-ubyte")),
        "no MNIST in " + real + " (run submit/fetch-mnist.sh)");

    JavaRDD<MnistImage> rdd = MnistSource.load(spark, real.toString(), Split.TRAIN, 4);

    assertEquals(4, rdd.getNumPartitions());
    assertEquals(60000, rdd.count());
    assertEquals(5, rdd.first().label()); // the reference's first label
  }

  @Test
  void parquetWithoutTheImageStructIsRejectedWithItsSchema() {
    Path file = dir.resolve("labels-only");
    spark.range(3).withColumnRenamed("id", "label").write().parquet(file.toString());

    var e =
        assertThrows(
            IllegalArgumentException.class,
            () -> MnistSource.load(spark, file.toString(), Split.TRAIN, 2));

    assertTrue(e.getMessage().contains("expected Hugging Face's MNIST layout"), e.getMessage());
    assertTrue(e.getMessage().contains("struct<label:bigint>"), e.getMessage());
  }

  @Test
  void pathWithoutMnistListsWhatWasLookedFor() throws IOException {
    Files.writeString(dir.resolve("readme.txt"), "nothing here");

    var e =
        assertThrows(
            IllegalArgumentException.class,
            () -> MnistSource.load(spark, dir.toString(), Split.TRAIN, 2));

    String message = e.getMessage();
    assertTrue(message.contains("no MNIST train data at " + dir), message);
    assertTrue(message.contains("train-images-idx3-ubyte[.gz]"), message);
    assertTrue(message.contains("train-labels-idx1-ubyte[.gz]"), message);
    assertTrue(message.contains("*.parquet"), message);
  }

  @Test
  void imagesWithoutTheirLabelsFileAreNamedInTheError() {
    IdxFiles.write(
        dir.resolve("train-images-idx3-ubyte"), IdxFiles.imagesBytes(IdxFiles.images(2, 15)));

    var e =
        assertThrows(
            IllegalArgumentException.class,
            () -> MnistSource.load(spark, dir.toString(), Split.TRAIN, 2));

    assertTrue(e.getMessage().contains("found train-images-idx3-ubyte but not its labels"));
  }
}
