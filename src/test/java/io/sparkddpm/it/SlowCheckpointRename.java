package io.sparkddpm.it;

import java.io.IOException;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The local file system with a pause before each rename that moves a complete checkpoint in under
 * its name {@code checkpoint-<step>}: DriverLossIT kills the driver while a checkpoint is half
 * written, and the pause keeps the staging folder in place long enough for the kill to land there
 * on any machine, however fast it writes. A spark-submit uses it with {@code --conf
 * spark.hadoop.fs.file.impl=} this class, the test classes on the driver's classpath, and {@code
 * spark.hadoop.}{@value #PAUSE_MS} (milliseconds, default 3000).
 */
public final class SlowCheckpointRename extends LocalFileSystem {
  /** Hadoop configuration key of the pause. */
  public static final String PAUSE_MS = "sparkddpm.it.checkpoint-rename-pause-ms";

  @Override
  public boolean rename(Path src, Path dst) throws IOException {
    if (dst.getName().matches("checkpoint-\\d+")) {
      try {
        Thread.sleep(getConf().getLong(PAUSE_MS, 3000));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return super.rename(src, dst);
  }
}
