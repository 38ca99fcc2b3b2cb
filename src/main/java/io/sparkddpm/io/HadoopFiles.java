package io.sparkddpm.io;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** Small whole-file reads and writes on any Hadoop file system (file://, hdfs://, s3a://). */
public final class HadoopFiles {
  private HadoopFiles() {}

  /** The bytes of {@code path}. */
  public static byte[] read(Configuration conf, Path path) throws IOException {
    FileSystem fs = path.getFileSystem(conf);
    try (InputStream in = fs.open(path)) {
      return in.readAllBytes();
    }
  }

  /** The UTF-8 text of {@code path}. */
  public static String readText(Configuration conf, Path path) throws IOException {
    return new String(read(conf, path), StandardCharsets.UTF_8);
  }

  /** Writes {@code bytes} to {@code path}, replacing it. */
  public static void write(Configuration conf, Path path, byte[] bytes) throws IOException {
    FileSystem fs = path.getFileSystem(conf);
    try (OutputStream out = fs.create(path, true)) {
      out.write(bytes);
    }
  }

  /** Writes UTF-8 {@code text} to {@code path}, replacing it. */
  public static void writeText(Configuration conf, Path path, String text) throws IOException {
    write(conf, path, text.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Replaces {@code path} with {@code bytes} so that readers see the old file or the new one, never
   * a part: the bytes go to a hidden sibling ({@link StagedOutput#file}), which is then renamed
   * over {@code path}. For files rewritten while a run goes on (metrics.jsonl): {@link #write}'s
   * create-with-overwrite leaves an empty or partial file on HDFS for as long as the write takes,
   * or for good if the writer dies. The rename is one NameNode operation on HDFS; on object stores
   * it is a copy, as every rename.
   */
  public static void replace(Configuration conf, Path path, byte[] bytes) throws IOException {
    FileSystem fs = path.getFileSystem(conf);
    try (StagedOutput staged = StagedOutput.file(conf, path)) {
      try (OutputStream out = fs.create(staged.path(), false)) {
        out.write(bytes);
      }
      staged.replace();
    }
  }

  /** {@link #replace} with UTF-8 {@code text}. */
  public static void replaceText(Configuration conf, Path path, String text) throws IOException {
    replace(conf, path, text.getBytes(StandardCharsets.UTF_8));
  }
}
