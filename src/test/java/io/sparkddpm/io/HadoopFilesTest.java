package io.sparkddpm.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkddpm.MiniHdfs;
import java.io.File;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Whole-file writes on a real HDFS (MiniDFSCluster) and on the local file system. */
class HadoopFilesTest {
  @TempDir static File hdfsDir;
  @TempDir File localDir;
  private static MiniHdfs hdfs;
  private static final Configuration CONF = new Configuration();

  @BeforeAll
  static void startHdfs() throws IOException {
    hdfs = MiniHdfs.start(hdfsDir);
  }

  @AfterAll
  static void stopHdfs() throws IOException {
    if (hdfs != null) {
      hdfs.close();
    }
  }

  @Test
  void replaceSwapsTheWholeFileAndLeavesNoTemporarySibling() throws IOException {
    for (Path dir : List.of(hdfs.path("/replace"), new Path(localDir.toURI()))) {
      Path file = new Path(dir, "metrics.jsonl");
      HadoopFiles.writeText(CONF, file, "old, longer than the new content\n");
      HadoopFiles.replaceText(CONF, file, "new\n");
      assertEquals("new\n", HadoopFiles.readText(CONF, file), dir.toString());
      HadoopFiles.replaceText(CONF, new Path(dir, "fresh.txt"), "first\n");
      assertEquals("first\n", HadoopFiles.readText(CONF, new Path(dir, "fresh.txt")));
      List<String> names = new ArrayList<>();
      for (FileStatus s : file.getFileSystem(CONF).listStatus(dir)) {
        names.add(s.getPath().getName());
      }
      names.sort(null);
      assertEquals(List.of("fresh.txt", "metrics.jsonl"), names, dir.toString());
    }
  }

  /**
   * A reader polling a file that is replaced over and over sees a complete version each time.
   * Writing in place with create-and-overwrite fails this on HDFS (the new file is visible empty
   * while it is written).
   */
  @Test
  void readersOnHdfsNeverSeeAPartialFileWhileItIsReplaced() throws Exception {
    Path file = hdfs.path("/polled/metrics.jsonl");
    int size = 256 * 1024;
    HadoopFiles.replace(CONF, file, version(size, 0));
    AtomicBoolean writing = new AtomicBoolean(true);
    CompletableFuture<Void> writer =
        CompletableFuture.runAsync(
            () -> {
              try {
                for (int v = 1; v <= 30; v++) {
                  HadoopFiles.replace(CONF, file, version(size, v));
                }
              } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
              } finally {
                writing.set(false);
              }
            });
    FileSystem fs = file.getFileSystem(CONF);
    int reads = 0;
    int partial = 0;
    int readErrors = 0;
    while (writing.get()) {
      byte[] seen;
      try {
        seen = HadoopFiles.read(CONF, file);
      } catch (FileNotFoundException e) {
        throw new AssertionError("the file was absent while it was replaced", e);
      } catch (IOException e) {
        readErrors++; // the old version's blocks removed under an open reader: not a partial file
        continue;
      }
      reads++;
      if (seen.length != size || !uniform(seen)) {
        partial++;
      }
    }
    writer.join();
    System.out.printf(
        "replace under a polling reader: %d reads, %d partial, %d read errors%n",
        reads, partial, readErrors);
    assertTrue(reads > 0, "the reader read while the writer replaced the file");
    assertEquals(0, partial, "reads that saw an incomplete file");
    assertArrayEquals(version(size, 30), HadoopFiles.read(CONF, file));
    assertTrue(fs.listStatus(file.getParent()).length == 1, "no temporary file left");
  }

  private static byte[] version(int size, int v) {
    byte[] b = new byte[size];
    Arrays.fill(b, (byte) v);
    return b;
  }

  private static boolean uniform(byte[] b) {
    for (byte x : b) {
      if (x != b[0]) {
        return false;
      }
    }
    return true;
  }
}
