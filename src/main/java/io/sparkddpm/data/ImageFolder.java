package io.sparkddpm.data;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A folder of PNG and JPEG files read as Hugging Face {@code datasets}' {@code imagefolder} reads
 * it: each sub-folder is a class, labelled by its position in the sorted folder names; a folder
 * without sub-folders is an unlabelled set. The driver lists the files; each task reads its own.
 *
 * <p>Files are ordered by path (so by class, then by name), which gives {@code index}. Names
 * starting with {@code .} or {@code _} and files with other extensions are skipped.
 */
final class ImageFolder {
  private ImageFolder() {}

  /** One image file and its class ({@link DataImage#NO_LABEL} in a flat folder). */
  record Entry(String file, int label) implements Serializable {
    private static final long serialVersionUID = 1L;
  }

  /** Whether {@code name} is an image file this source reads. */
  static boolean isImage(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    return !hidden(name) && (n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg"));
  }

  private static boolean hidden(String name) {
    return name.startsWith(".") || name.startsWith("_");
  }

  /**
   * The images under {@code root} in index order; empty when it holds none.
   *
   * @throws IllegalArgumentException naming the file when images lie beside class folders
   */
  static List<Entry> list(FileSystem fs, Path root) throws IOException {
    List<FileStatus> dirs = new ArrayList<>();
    List<String> loose = new ArrayList<>();
    for (FileStatus s : fs.listStatus(root)) {
      String name = s.getPath().getName();
      if (s.isDirectory() && !hidden(name)) {
        dirs.add(s);
      } else if (s.isFile() && isImage(name)) {
        loose.add(s.getPath().toString());
      }
    }
    dirs.sort((a, b) -> a.getPath().getName().compareTo(b.getPath().getName()));
    loose.sort(null);
    List<Entry> out = new ArrayList<>();
    if (dirs.isEmpty()) {
      loose.forEach(f -> out.add(new Entry(f, DataImage.NO_LABEL)));
      return out;
    }
    for (int label = 0; label < dirs.size(); label++) {
      List<String> files = new ArrayList<>();
      collect(fs, dirs.get(label).getPath(), files);
      files.sort(null);
      for (String f : files) {
        out.add(new Entry(f, label));
      }
    }
    if (!loose.isEmpty() && !out.isEmpty()) {
      throw new IllegalArgumentException(
          loose.get(0)
              + ": an image beside the class folders ("
              + dirs.get(0).getPath().getName()
              + "/, ...); put every image in a class folder, or use a flat folder without"
              + " sub-folders for unlabelled images");
    }
    return out;
  }

  private static void collect(FileSystem fs, Path dir, List<String> out) throws IOException {
    for (FileStatus s : fs.listStatus(dir)) {
      String name = s.getPath().getName();
      if (s.isDirectory() && !hidden(name)) {
        collect(fs, s.getPath(), out);
      } else if (s.isFile() && isImage(name)) {
        out.add(s.getPath().toString());
      }
    }
  }

  /** Reads and decodes {@code entries}, the first being image {@code firstIndex}. */
  static List<DataImage> read(
      Configuration conf, List<Entry> entries, long firstIndex, ImageSource.Target target) {
    List<DataImage> out = new ArrayList<>(entries.size());
    for (int i = 0; i < entries.size(); i++) {
      Entry e = entries.get(i);
      out.add(
          ImageSource.fit(
              readAll(conf, new Path(e.file())), firstIndex + i, e.label(), target, e.file()));
    }
    return out;
  }

  private static byte[] readAll(Configuration conf, Path file) {
    try {
      FileSystem fs = file.getFileSystem(conf);
      long len = fs.getFileStatus(file).getLen();
      if (len > Integer.MAX_VALUE - 8) {
        throw new IllegalArgumentException(file + ": " + len + " bytes is too large for an image");
      }
      byte[] bytes = new byte[(int) len];
      try (FSDataInputStream in = fs.open(file)) {
        in.readFully(0, bytes);
      }
      return bytes;
    } catch (IOException e) {
      throw new UncheckedIOException(file + ": " + e.getMessage(), e);
    }
  }
}
