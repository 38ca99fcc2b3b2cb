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
}
