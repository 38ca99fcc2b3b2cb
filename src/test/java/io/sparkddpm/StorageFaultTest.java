package io.sparkddpm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkddpm.base.BadInputException;
import io.sparkddpm.data.IdxFiles;
import io.sparkddpm.io.HadoopFiles;
import io.sparkddpm.sample.SampleConfig;
import io.sparkddpm.sample.SampleJob;
import io.sparkddpm.train.TinyRun;
import io.sparkddpm.train.TrainConfig;
import io.sparkddpm.train.TrainJob;
import io.sparkddpm.train.Trainer;
import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.hdfs.DistributedFileSystem;
import org.apache.hadoop.hdfs.protocol.HdfsConstants;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full disk in the middle of a write, as an HDFS space quota on a MiniDFSCluster directory gives
 * it: the checkpoint write fails with an I/O error naming the checkpoint (JobRunner: exit 1), the
 * previous checkpoints and {@code final/} are left as they were, and once the quota is lifted
 * {@code --auto-resume} ends on the weights of a run that never failed. A SampleJob writing under a
 * quota publishes nothing.
 */
class StorageFaultTest extends SparkSessionTestBase {
  private static final long MB = 1 << 20;
  private static final List<String> WEIGHTS =
      List.of(
          "unet/diffusion_pytorch_model.safetensors",
          "unet_ema/diffusion_pytorch_model.safetensors",
          "optimizer.safetensors");

  @TempDir static File hdfsDir;
  @TempDir Path work;
  private static MiniHdfs hdfs;
  private static Configuration conf;
  private static DistributedFileSystem fs;

  @BeforeAll
  static void startHdfs() throws Exception {
    hdfs = MiniHdfs.start(hdfsDir);
    conf = spark.sparkContext().hadoopConfiguration();
    // Blocks of 1 MB (the NameNode's smallest): a quota is charged a whole block per open file, so
    // with 128 MB blocks any write under a small quota would fail at its first byte.
    conf.setLong("dfs.blocksize", MB);
    fs = (DistributedFileSystem) hdfs.fs(conf);
  }

  @AfterAll
  static void stopHdfs() throws Exception {
    if (hdfs != null) {
      hdfs.close();
    }
  }

  /** A tiny run on the local MNIST files, writing to {@code output} on HDFS. */
  private Trainer.Result train(String output, String... extra) throws Exception {
    Path tiny = work.resolve("tiny-unet.json");
    java.nio.file.Files.writeString(tiny, TinyRun.tinyConfig().toJson());
    List<String> args =
        new ArrayList<>(
            List.of(
                "--data", IdxFiles.projectDir().resolve("data/mnist").toString(),
                "--output", hdfs.uri(output),
                "--model-config", tiny.toString(),
                "--limit", "128",
                "--batch-size", "32",
                "--partitions", "2",
                "--ema-decay", "0.9",
                "--sample-every-epoch", "0",
                "--seed", "11"));
    args.addAll(Arrays.asList(extra));
    return TrainJob.train(spark, TrainConfig.parse(args.toArray(String[]::new)));
  }

  @Test
  void checkpointWriteFailingHalfWayKeepsTheLastCheckpointAndResumesBitwise() throws Exception {
    train("/straight", "--max-steps", "4");
    train("/run", "--max-steps", "2", "--checkpoint-every", "1"); // checkpoint-1, final/ at 2
    Set<String> before = names("/run");
    List<byte[]> finalBefore = read("/run/final");

    // Room for about half a checkpoint (it holds four 1.7 MB tensors files, two of them weights).
    long used = fs.getContentSummary(hdfs.path("/run")).getSpaceConsumed();
    long checkpoint = fs.getContentSummary(hdfs.path("/run/final")).getSpaceConsumed();
    fs.setQuota(hdfs.path("/run"), HdfsConstants.QUOTA_DONT_SET, used + checkpoint / 2);
    // An IOException: JobRunner reports it as a failure, exit 1 (bad input would be 2).
    java.io.IOException e =
        assertThrows(
            java.io.IOException.class,
            () -> train("/run", "--max-steps", "4", "--checkpoint-every", "0", "--auto-resume"));
    System.out.println("quota: " + e.getMessage().lines().findFirst().orElse(""));
    assertTrue(e.getMessage().contains(hdfs.path("/run/final").toUri().getPath()), e.getMessage());
    assertTrue(e.getMessage().contains("quota"), e.getMessage());
    assertEquals(before, names("/run"), "nothing is left of the failed write");
    List<byte[]> finalAfter = read("/run/final");
    for (int i = 0; i < WEIGHTS.size(); i++) {
      assertArrayEquals(finalBefore.get(i), finalAfter.get(i), WEIGHTS.get(i) + " changed");
    }

    fs.setQuota(hdfs.path("/run"), HdfsConstants.QUOTA_DONT_SET, HdfsConstants.QUOTA_RESET);
    Trainer.Result resumed =
        train("/run", "--max-steps", "4", "--checkpoint-every", "0", "--auto-resume");
    assertEquals(2, resumed.steps(), "resumed from final/ at step 2");
    List<byte[]> straight = read("/straight/final");
    List<byte[]> run = read("/run/final");
    for (int i = 0; i < WEIGHTS.size(); i++) {
      assertArrayEquals(straight.get(i), run.get(i), WEIGHTS.get(i) + " differs");
    }
  }

  @Test
  void sampleJobUnderAFullQuotaPublishesNothing() throws Exception {
    train("/model", "--max-steps", "1");
    fs.mkdirs(hdfs.path("/samples"));
    // Less than one block: the first file the job writes there fails.
    fs.setQuota(hdfs.path("/samples"), HdfsConstants.QUOTA_DONT_SET, MB / 2);
    String[] args = {
      "--model", hdfs.uri("/model/final"),
      "--output", hdfs.uri("/samples/out"),
      "--steps", "2",
      "--num-images", "4",
      "--batch-size", "2",
      "--partitions", "2"
    };
    Exception e =
        assertThrows(Exception.class, () -> SampleJob.sample(spark, SampleConfig.parse(args)));
    System.out.println("quota: " + e.getMessage().lines().findFirst().orElse(""));
    assertFalse(e instanceof BadInputException);
    assertEquals(Set.of(), names("/samples"), "no output and no staging folder");
  }

  private static List<byte[]> read(String dir) throws Exception {
    List<byte[]> out = new ArrayList<>();
    for (String f : WEIGHTS) {
      out.add(HadoopFiles.read(conf, hdfs.path(dir + "/" + f)));
    }
    return out;
  }

  private static Set<String> names(String dir) throws Exception {
    Set<String> out = new TreeSet<>();
    for (FileStatus s : fs.listStatus(hdfs.path(dir))) {
      out.add(s.getPath().getName());
    }
    return out;
  }
}
