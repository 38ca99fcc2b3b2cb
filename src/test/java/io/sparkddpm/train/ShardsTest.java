package io.sparkddpm.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkddpm.SparkSessionTestBase;
import io.sparkddpm.data.IdxReader;
import io.sparkddpm.data.ImageFixtures;
import io.sparkddpm.data.ImageSource;
import io.sparkddpm.data.MnistImage;
import io.sparkddpm.data.PixelRange;
import io.sparkddpm.data.Preprocess;
import java.io.ByteArrayOutputStream;
import java.io.ObjectOutputStream;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.storage.BlockId;
import org.apache.spark.storage.RDDBlockId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Shards built by the executors from slices of the real MNIST IDX files, and of generated Parquet
 * and image-folder sets.
 */
class ShardsTest extends SparkSessionTestBase {
  private static final int LIMIT = 300;
  private static final int PARTITIONS = 3;

  private static JavaRDD<Shard> load() {
    return Shards.load(spark, TinyRun.mnist().toString(), PARTITIONS, LIMIT);
  }

  @Test
  void shardsEqualThoseBuiltFromImagesTheDriverRead() {
    // The former way: the driver reads the whole files and parallelizes the pixels.
    List<MnistImage> all =
        IdxReader.readPair(
            new Path(TinyRun.mnist().resolve("train-images-idx3-ubyte").toString()),
            new Path(TinyRun.mnist().resolve("train-labels-idx1-ubyte").toString()),
            new Configuration());
    List<Shard> before =
        JavaSparkContext.fromSparkContext(spark.sparkContext())
            .parallelize(all.subList(0, LIMIT), PARTITIONS)
            .mapPartitions(it -> List.of(Shard.of(it)).iterator())
            .collect();
    JavaRDD<Shard> shards = load();
    try {
      List<Shard> built = shards.collect();
      assertSameShards(before, built);
      // Every image's label travels with it: the label file's entry of its global index.
      int[] histogram = new int[10];
      for (Shard s : built) {
        for (int row = 0; row < s.size(); row++) {
          int label = s.label(row);
          assertEquals(all.get((int) s.indices()[row]).label(), label, "image " + s.indices()[row]);
          histogram[label]++;
        }
      }
      for (int c = 0; c < 10; c++) {
        assertTrue(histogram[c] > 10, "class " + c + " has " + histogram[c] + " of 300 images");
      }
    } finally {
      shards.unpersist(true);
    }
  }

  @Test
  void aTaskCarriesARowRangeNotPixels() throws Exception {
    JavaRDD<Shard> shards = load();
    for (var partition : shards.partitions()) {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
        out.writeObject(partition);
      }
      // 100 images of 784 bytes would be 78 KB; a slice is two paths and two numbers.
      assertTrue(bytes.size() < 2048, "partition " + partition.index() + ": " + bytes.size());
    }
  }

  @Test
  void shardsLostFromTheCacheAreRebuiltFromTheFilesBitwise() {
    JavaRDD<Shard> shards = load();
    try {
      List<Shard> first = shards.collect();
      assertEquals(PARTITIONS, cachedPartitions(shards));
      // What losing the executors does to the cache (a localCheckpoint()ed RDD fails here).
      SparkEnv.get().blockManager().master().removeRdd(shards.id(), true);
      assertEquals(0, cachedPartitions(shards));
      assertSameShards(first, shards.collect());
      assertEquals(PARTITIONS, cachedPartitions(shards));
    } finally {
      shards.unpersist(true);
    }
  }

  @TempDir static java.nio.file.Path work;

  /** A Parquet set (2 files, small row groups) and a class folder, RGB 32x32, PNG and JPEG. */
  private static List<String> imageSources() throws Exception {
    java.nio.file.Path parquet = work.resolve("parquet");
    java.nio.file.Path folder = work.resolve("folder");
    if (!java.nio.file.Files.exists(parquet)) {
      ImageFixtures.writeParquet(spark, parquet, 30, 32, 2);
      ImageFixtures.writeFolder(folder, 30, 32);
    }
    return List.of(parquet.toString(), folder.toString());
  }

  private static JavaRDD<Shard> loadRgb(String data) {
    return Shards.load(
        spark,
        data,
        ImageSource.Columns.DEFAULT,
        new ImageSource.Target(3, 32),
        new Preprocess(32, false, true, PixelRange.MINUS_ONE_TO_ONE),
        PARTITIONS,
        0);
  }

  @Test
  void parquetAndFolderShardsLostFromTheCacheAreRebuiltFromTheFilesBitwise() throws Exception {
    for (String data : imageSources()) {
      JavaRDD<Shard> shards = loadRgb(data);
      try {
        List<Shard> first = shards.collect();
        assertEquals(30, first.stream().mapToInt(Shard::size).sum(), data);
        SparkEnv.get().blockManager().master().removeRdd(shards.id(), true);
        assertEquals(0, cachedPartitions(shards));
        List<Shard> rebuilt = shards.collect();
        assertEquals(first.size(), rebuilt.size());
        for (int s = 0; s < first.size(); s++) {
          Shard a = first.get(s);
          Shard b = rebuilt.get(s);
          assertTrue(a.size() > 0, data + ": shard " + s + " is empty");
          assertEquals(3 * 32 * 32, a.imagePixels());
          assertArrayEquals(a.indices(), b.indices(), data + ": indices of shard " + s);
          for (int row = 0; row < a.size(); row++) {
            assertEquals(a.label(row), b.label(row));
            assertEquals(a.resized(row), b.resized(row), data + ": shard " + s + " row " + row);
          }
        }
      } finally {
        shards.unpersist(true);
      }
    }
  }

  @Test
  void labelsTravelWithTheShards() throws Exception {
    // The folder's classes: a/ holds images 0, 3, 6, ... (label 0), b/ 1, 4, ... (label 1), ...
    JavaRDD<Shard> shards = loadRgb(imageSources().get(1));
    try {
      int[] perLabel = new int[3];
      for (Shard s : shards.collect()) {
        for (int row = 0; row < s.size(); row++) {
          long index = s.indices()[row];
          assertEquals((int) (index / 10), s.label(row), "image " + index);
          perLabel[s.label(row)]++;
        }
      }
      assertArrayEquals(new int[] {10, 10, 10}, perLabel);
    } finally {
      shards.unpersist(true);
    }
  }

  @Test
  void aParquetOrFolderTaskCarriesRowRangesOrFileNamesNotPixels() throws Exception {
    for (String data : imageSources()) {
      JavaRDD<Shard> shards = loadRgb(data);
      for (var partition : shards.partitions()) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
          out.writeObject(partition);
        }
        // 10 RGB images are 30 KB of pixels; a slice is paths and row numbers.
        assertTrue(
            bytes.size() < 4096, data + " partition " + partition.index() + ": " + bytes.size());
      }
    }
  }

  @Test
  void aBadImageInAFailedSparkJobsMessageBecomesBadInput() {
    // What the driver gets when the task's exception did not deserialize: only its text.
    String text =
        "Job aborted due to stage failure: Task 1 in stage 2.0 failed 4 times, most recent"
            + " failure: Lost task 1.3 in stage 2.0 (TID 9) (10.0.0.7 executor 2):"
            + " java.lang.IllegalArgumentException: s3a://b/x.parquet: row 7: image.bytes is not"
            + " a decodable PNG or JPEG image\n\tat io.sparkddpm.data.ImageDecoder.decode";
    var bad = Shards.badInput(new org.apache.spark.SparkException(text));
    assertEquals(
        "--data: s3a://b/x.parquet: row 7: image.bytes is not a decodable PNG or JPEG image",
        bad.getMessage());
    assertEquals(null, Shards.badInput(new org.apache.spark.SparkException("executor lost")));
  }

  /** Partitions of {@code rdd} that some block manager holds, as the driver's registry says. */
  private static int cachedPartitions(JavaRDD<Shard> rdd) {
    int n = 0;
    for (int p = 0; p < rdd.getNumPartitions(); p++) {
      BlockId block = new RDDBlockId(rdd.id(), p);
      n += SparkEnv.get().blockManager().master().getLocations(block).isEmpty() ? 0 : 1;
    }
    return n;
  }

  private static void assertSameShards(List<Shard> expected, List<Shard> actual) {
    assertEquals(expected.size(), actual.size());
    int total = 0;
    for (int s = 0; s < expected.size(); s++) {
      Shard a = expected.get(s);
      Shard b = actual.get(s);
      assertArrayEquals(a.indices(), b.indices(), "indices of shard " + s);
      assertTrue(a.size() > 0, "shard " + s + " is empty");
      for (int row = 0; row < a.size(); row++) {
        assertEquals(a.resized(row), b.resized(row), "shard " + s + " row " + row);
        assertEquals(a.label(row), b.label(row), "label of shard " + s + " row " + row);
      }
      total += a.size();
    }
    assertEquals(LIMIT, total);
  }
}
