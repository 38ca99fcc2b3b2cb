package io.sparkddpm.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkddpm.SparkSessionTestBase;
import io.sparkddpm.data.IdxReader;
import io.sparkddpm.data.MnistImage;
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

/** Shards built by the executors from slices of the real MNIST IDX files. */
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
      assertSameShards(before, shards.collect());
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
        for (int p = 0; p < Shard.PIXELS; p++) {
          assertEquals(a.pixel(row, p), b.pixel(row, p), "shard " + s + " row " + row);
        }
      }
      total += a.size();
    }
    assertEquals(LIMIT, total);
  }
}
