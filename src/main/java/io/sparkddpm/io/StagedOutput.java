package io.sparkddpm.io;

import java.io.Closeable;
import java.io.IOException;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;

/**
 * The one way the project writes an output that must never be seen half written (a checkpoint,
 * {@code final/}, a sample set, an evaluation, a classifier, {@code metrics.jsonl}): everything
 * goes into a hidden staging sibling {@code .NAME.tmp-<nanos>}, which is moved in under {@code
 * NAME} only when complete. Use it in try-with-resources; {@link #close} deletes the staging copy
 * unless it was moved in:
 *
 * <pre>{@code
 * try (StagedOutput out = StagedOutput.directory(conf, target)) {
 *   ... write into out.path() ...
 *   out.replace(); // or out.create()
 * }
 * }</pre>
 *
 * A writer killed midway leaves its staging copy behind; {@link #cleanUp(FileSystem, Path)} and
 * {@link #cleanUpUnder} remove exactly those names (and finish an interrupted {@link
 * DirectoryReplace}), so the staging name is spelled here and nowhere else.
 */
public final class StagedOutput implements Closeable {
  private static final String MARK = ".tmp-";

  /** Every name {@link #path} can have; group 1 is the name of the output it stands for. */
  private static final Pattern STAGING = Pattern.compile("\\.(.+)" + Pattern.quote(MARK) + "\\d+");

  private final Configuration conf;
  private final FileSystem fs;
  private final Path target;
  private final Path staging;
  private final boolean directory;
  private boolean movedIn;

  private StagedOutput(Configuration conf, Path target, boolean directory) throws IOException {
    this.conf = conf;
    this.fs = target.getFileSystem(conf);
    this.target = target;
    this.staging = new Path(target.getParent(), "." + target.getName() + MARK + System.nanoTime());
    this.directory = directory;
  }

  /**
   * A new, empty staging folder for the directory {@code target}, after removing what an earlier
   * writer of {@code target} left when it was killed ({@link #cleanUp(FileSystem, Path)}).
   */
  public static StagedOutput directory(Configuration conf, Path target) throws IOException {
    StagedOutput out = new StagedOutput(conf, target, true);
    cleanUp(out.fs, target);
    if (!out.fs.mkdirs(out.staging)) {
      throw new IOException("could not create " + out.staging);
    }
    return out;
  }

  /**
   * A staging name for the single file {@code target}, not created yet: the caller writes the file
   * at {@link #path}. Nothing is cleaned up first (files are replaced often, e.g. every logged
   * step); {@link #cleanUpUnder} of the folder finds a killed writer's copy.
   */
  public static StagedOutput file(Configuration conf, Path target) throws IOException {
    return new StagedOutput(conf, target, false);
  }

  /** Where to write: the staging folder, or the staging file's path. */
  public Path path() {
    return staging;
  }

  /** The final name. */
  public Path target() {
    return target;
  }

  /**
   * Moves the complete staging copy in as {@link #target}, replacing what is there so that at every
   * instant the old or the new one exists complete: for a directory through {@link
   * DirectoryReplace#moveIn}, for a file by one rename over it.
   */
  public void replace() throws IOException {
    if (directory) {
      DirectoryReplace.moveIn(fs, staging, target);
    } else {
      // FileSystem.rename refuses an existing target on HDFS; FileContext can overwrite it.
      FileContext.getFileContext(target.toUri(), conf)
          .rename(staging, target, Options.Rename.OVERWRITE);
    }
    movedIn = true;
  }

  /** Moves the complete staging copy in as {@link #target}, which must not exist: one rename. */
  public void create() throws IOException {
    if (fs.exists(target)) {
      throw new IOException(target + " already exists");
    }
    if (!fs.rename(staging, target)) {
      throw new IOException("could not rename " + staging + " to " + target);
    }
    movedIn = true;
  }

  /** Deletes the staging copy if it was not moved in (the write failed or was abandoned). */
  @Override
  public void close() throws IOException {
    if (!movedIn && fs.exists(staging)) {
      fs.delete(staging, true);
    }
  }

  /**
   * The name of the output a staging name stands for, if {@code name} is one {@link #path} gives.
   */
  public static Optional<String> targetOf(String name) {
    Matcher m = STAGING.matcher(name);
    return m.matches() ? Optional.of(m.group(1)) : Optional.empty();
  }

  /**
   * Removes what killed writers of {@code target} left: its staging copies, and an interrupted
   * replacement is finished ({@link DirectoryReplace#recover}). Siblings that belong to other
   * outputs are left alone.
   */
  public static void cleanUp(FileSystem fs, Path target) throws IOException {
    Path parent = target.getParent();
    if (parent == null || !fs.exists(parent)) {
      return;
    }
    for (FileStatus s : fs.listStatus(parent)) {
      if (targetOf(s.getPath().getName()).filter(target.getName()::equals).isPresent()) {
        fs.delete(s.getPath(), true);
      }
    }
    DirectoryReplace.recover(fs, target);
  }

  /**
   * Removes what killed writers left in {@code folder}, a folder one job owns (TrainJob's output):
   * every staging copy in it, and every interrupted replacement in it is finished. Other names,
   * hidden or not, stay.
   */
  public static void cleanUpUnder(FileSystem fs, Path folder) throws IOException {
    if (!fs.exists(folder)) {
      return;
    }
    for (FileStatus s : fs.listStatus(folder)) {
      String name = s.getPath().getName();
      Matcher spare = DirectoryReplace.SPARE.matcher(name);
      if (targetOf(name).isPresent()) {
        fs.delete(s.getPath(), true);
      } else if (s.isDirectory() && spare.matches()) {
        DirectoryReplace.recover(fs, new Path(folder, spare.group(1)));
      }
    }
  }
}
