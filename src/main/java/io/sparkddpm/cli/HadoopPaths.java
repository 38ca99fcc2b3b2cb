package io.sparkddpm.cli;

import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * Checks a path option against the Hadoop file systems this JVM has, before a job reads or writes
 * anything: an unknown scheme (a typo such as {@code hfds://}, or {@code s3a://} without its
 * connector) or an incomplete URI ({@code hdfs:///x} with no default file system) is then a usage
 * error naming the option, not a failure deep inside a Spark job.
 */
public final class HadoopPaths {
  private HadoopPaths() {}

  /**
   * The path of {@code value}, once its file system is known to exist here.
   *
   * @param option the option's name, for the message ({@code --data})
   * @throws UsageException if the URI is malformed or no file system serves its scheme
   */
  public static Path check(Configuration conf, String option, String value) {
    Path path;
    try {
      path = new Path(value);
    } catch (IllegalArgumentException e) {
      throw new UsageException(
          option + ": \"" + value + "\" is not a valid path or URI: " + e.getMessage());
    }
    try {
      // Instantiates the client only (cached per scheme and authority); nothing is read yet.
      path.getFileSystem(conf);
    } catch (IOException | RuntimeException e) {
      String scheme = path.toUri().getScheme();
      throw new UsageException(
          String.format(
              "%s: cannot open %s (%s); supported: a local path, file://, hdfs://host:port/,"
                  + " and s3a:// when the hadoop-aws jar is on the classpath%s",
              option,
              value,
              e.getMessage(),
              scheme == null ? "" : " (the URI's scheme is \"" + scheme + "\")"));
    }
    return path;
  }
}
