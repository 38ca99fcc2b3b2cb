package io.sparkddpm.io;

import java.io.IOException;
import java.util.regex.Pattern;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Replaces a directory on a Hadoop file system so that at every instant the complete new one or the
 * complete old one exists, and a reader (or a crash recovery) can tell which.
 *
 * <p>No Hadoop file system renames a directory over an existing one, so the replacement is three
 * renames' worth of states, all recognisable by name:
 *
 * <ol>
 *   <li>the new directory is written completely as the hidden sibling {@code .NAME.next} (itself
 *       through a temporary name, so {@code .next} only ever names a complete directory);
 *   <li>{@code NAME} is renamed to {@code .NAME.previous};
 *   <li>{@code .NAME.next} is renamed to {@code NAME};
 *   <li>{@code .NAME.previous} is deleted.
 * </ol>
 *
 * Between 2 and 3 {@code NAME} is missing: {@link #resolve} then answers {@code .NAME.next} (the
 * newer), and {@link #recover} completes the replacement. Each rename is atomic on HDFS and on a
 * local file system.
 */
public final class DirectoryReplace {
  /** The name of a staged or kept directory; group 1 is the name it stands for. */
  static final Pattern SPARE = Pattern.compile("\\.(.+)\\.(next|previous)");

  private DirectoryReplace() {}

  /** Where the complete replacement of {@code dir} is staged. */
  static Path next(Path dir) {
    return new Path(dir.getParent(), "." + dir.getName() + ".next");
  }

  /** Where the old {@code dir} waits while its replacement is moved in. */
  static Path previous(Path dir) {
    return new Path(dir.getParent(), "." + dir.getName() + ".previous");
  }

  /** Moves the complete {@link #next} into place as {@code dir} (steps 2 to 4). */
  public static void promote(FileSystem fs, Path dir) throws IOException {
    Path next = next(dir);
    Path previous = previous(dir);
    if (fs.exists(previous)) { // left by an earlier crash, while dir or next exists too
      fs.delete(previous, true);
    }
    if (fs.exists(dir)) {
      rename(fs, dir, previous);
    }
    rename(fs, next, dir);
    fs.delete(previous, true);
  }

  /**
   * Replaces {@code dir} (if it exists) with the complete directory {@code complete}, a sibling
   * written under a temporary name: {@code complete} becomes {@link #next}, then is promoted. A
   * crash at any point leaves the old or the new directory, never neither and never a mix.
   */
  public static void moveIn(FileSystem fs, Path complete, Path dir) throws IOException {
    recover(fs, dir); // afterwards no .next exists: recover promotes a staged one
    rename(fs, complete, next(dir));
    promote(fs, dir);
  }

  /**
   * The complete directory that stands for {@code dir} now: {@code dir} itself, or during a
   * replacement (or after a crash in one) its staged successor or kept predecessor; {@code dir}
   * when none exists.
   */
  public static Path resolve(FileSystem fs, Path dir) throws IOException {
    if (fs.exists(dir)) {
      return dir;
    }
    for (Path p : new Path[] {next(dir), previous(dir)}) {
      if (fs.exists(p)) {
        return p;
      }
    }
    return dir;
  }

  /**
   * Finishes a replacement a crash interrupted: a staged {@code .next} is complete and newer than
   * {@code dir}, so it is moved in; a left-over {@code .previous} is deleted once {@code dir}
   * exists.
   */
  public static void recover(FileSystem fs, Path dir) throws IOException {
    if (fs.exists(next(dir))) {
      promote(fs, dir);
    } else if (!fs.exists(dir) && fs.exists(previous(dir))) {
      rename(fs, previous(dir), dir); // died before .next existed: keep the old one
    } else if (fs.exists(previous(dir))) {
      fs.delete(previous(dir), true);
    }
  }

  private static void rename(FileSystem fs, Path from, Path to) throws IOException {
    if (!fs.rename(from, to)) {
      throw new IOException("could not rename " + from + " to " + to);
    }
  }
}
