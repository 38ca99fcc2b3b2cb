package io.sparkddpm.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import io.sparkddpm.diffusion.SchedulerConfig;
import io.sparkddpm.io.Tensor;
import io.sparkddpm.train.TinyRun;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.hdfs.DistributedFileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.hadoop.util.Progressable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replacing final/ leaves a complete final/, or the previous one, at every instant: the file system
 * used for writing checks the invariant before each change it makes (create, mkdirs, rename,
 * delete), and a crash is simulated at each of those points in turn.
 */
class CheckpointReplaceTest {
  @TempDir java.nio.file.Path work;

  /** What each watched file system runs before a change; throws to simulate a crash there. */
  static volatile Runnable beforeChange = () -> {};

  /** The local file system, watched. */
  public static final class WatchedLocal extends LocalFileSystem {
    @Override
    public boolean rename(Path src, Path dst) throws IOException {
      beforeChange.run();
      return super.rename(src, dst);
    }

    @Override
    public boolean delete(Path f, boolean recursive) throws IOException {
      beforeChange.run();
      return super.delete(f, recursive);
    }

    @Override
    public boolean mkdirs(Path f, FsPermission permission) throws IOException {
      beforeChange.run();
      return super.mkdirs(f, permission);
    }

    @Override
    public FSDataOutputStream create(
        Path f,
        FsPermission permission,
        boolean overwrite,
        int bufferSize,
        short replication,
        long blockSize,
        Progressable progress)
        throws IOException {
      beforeChange.run();
      return super.create(f, permission, overwrite, bufferSize, replication, blockSize, progress);
    }
  }

  /** HDFS's client, watched. */
  public static final class WatchedHdfs extends DistributedFileSystem {
    @Override
    public boolean rename(Path src, Path dst) throws IOException {
      beforeChange.run();
      return super.rename(src, dst);
    }

    @Override
    public boolean delete(Path f, boolean recursive) throws IOException {
      beforeChange.run();
      return super.delete(f, recursive);
    }

    @Override
    public boolean mkdirs(Path f, FsPermission permission) throws IOException {
      beforeChange.run();
      return super.mkdirs(f, permission);
    }

    @Override
    public FSDataOutputStream create(
        Path f,
        FsPermission permission,
        boolean overwrite,
        int bufferSize,
        short replication,
        long blockSize,
        Progressable progress)
        throws IOException {
      beforeChange.run();
      return super.create(f, permission, overwrite, bufferSize, replication, blockSize, progress);
    }
  }

  /** Thrown by the watcher in place of a crash. */
  private static final class Crash extends RuntimeException {
    Crash() {
      super("simulated crash");
    }
  }

  @Test
  void finalIsAlwaysCompleteOnTheLocalFileSystem() throws Exception {
    Configuration watched = new Configuration();
    watched.set("fs.file.impl", WatchedLocal.class.getName());
    watched.setBoolean("fs.file.impl.disable.cache", true);
    Path output = new Path(work.toUri().toString(), "run");
    checkEveryInstantAndEveryCrash(watched, new Configuration(), output);
  }

  @Test
  void finalIsAlwaysCompleteOnHdfs() throws Exception {
    Configuration conf = new Configuration();
    conf.setInt("dfs.replication", 1);
    MiniDFSCluster hdfs =
        new MiniDFSCluster.Builder(conf, work.resolve("hdfs").toFile()).numDataNodes(1).build();
    try {
      hdfs.waitActive();
      Configuration watched = new Configuration();
      watched.set("fs.hdfs.impl", WatchedHdfs.class.getName());
      watched.setBoolean("fs.hdfs.impl.disable.cache", true);
      Path output = new Path(hdfs.getURI().resolve("/run").toString());
      checkEveryInstantAndEveryCrash(watched, new Configuration(), output);
    } finally {
      hdfs.shutdown(true);
    }
  }

  /**
   * {@code watched} writes; {@code plain} (the same file system, unwatched) looks, so that looking
   * changes nothing.
   */
  private static void checkEveryInstantAndEveryCrash(
      Configuration watched, Configuration plain, Path output) throws IOException {
    Path fin = new Path(output, "final");
    writeFinal(plain, fin, 1);

    // Every instant of a replacement: step 1 or step 2, complete.
    List<Long> seen = new ArrayList<>();
    beforeChange = () -> seen.add(completeStep(plain, fin));
    try {
      writeFinal(watched, fin, 2);
    } finally {
      beforeChange = () -> {};
    }
    assertTrue(seen.size() >= 10, "the replacement made " + seen.size() + " changes");
    assertTrue(seen.stream().allMatch(s -> s == 1 || s == 2), "saw steps " + seen);
    assertEquals(2, completeStep(plain, fin));
    assertEquals(List.of("final"), names(plain, output), "nothing left beside final/");

    // A crash before each change in turn; cleanUp (what a resumed run does first) leaves final/
    // at the old or the new step, and nothing else.
    int changes = seen.size();
    for (int crashAt = 0; crashAt < changes; crashAt++) {
      long before = completeStep(plain, fin);
      int[] count = {0};
      int at = crashAt;
      beforeChange =
          () -> {
            if (count[0]++ == at) {
              throw new Crash();
            }
          };
      try {
        writeFinal(watched, fin, before + 1);
      } catch (Crash expected) {
        // the writer is gone; what it left must be readable
      } finally {
        beforeChange = () -> {};
      }
      long during = completeStep(plain, fin); // what a reader (SampleJob) finds now
      assertTrue(during == before || during == before + 1, "crash at change " + at);
      Checkpoints.cleanUp(plain, output);
      assertEquals(List.of("final"), names(plain, output), "after a crash at change " + at);
      long after = completeStep(plain, fin);
      assertTrue(after >= during && after <= before + 1, "crash at change " + at + ": " + after);
    }
  }

  private static void writeFinal(Configuration conf, Path dir, long step) throws IOException {
    Map<String, Tensor> weights =
        Map.of("conv_in.weight", Tensor.ofFloats(new long[] {2}, new float[] {step, -step}));
    Checkpoints.replace(
        conf,
        dir,
        TinyRun.tinyConfig(),
        weights,
        weights,
        SchedulerConfig.ddpm(),
        new Checkpoints.TrainingState(weights, "{\"step\": " + step + "}"));
  }

  /** The step of the complete checkpoint that stands for {@code dir}; fails if there is none. */
  private static long completeStep(Configuration conf, Path dir) {
    try {
      Checkpoints.Contents c = Checkpoints.read(conf, dir);
      float w = c.unet().get("conv_in.weight").toFloats()[0];
      assertEquals(w, c.ema().orElseThrow().get("conv_in.weight").toFloats()[0]);
      assertEquals(w, c.optimizer().orElseThrow().tensors().get("conv_in.weight").toFloats()[0]);
      long step =
          JsonParser.parseString(c.trainerState().orElseThrow())
              .getAsJsonObject()
              .get("step")
              .getAsLong();
      assertEquals(step, (long) w, "weights and trainer_state.json of one checkpoint");
      return step;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<String> names(Configuration conf, Path dir) throws IOException {
    List<String> out = new ArrayList<>();
    for (FileStatus s : FileSystem.get(dir.toUri(), conf).listStatus(dir)) {
      out.add(s.getPath().getName());
    }
    out.sort(null);
    return out;
  }
}
