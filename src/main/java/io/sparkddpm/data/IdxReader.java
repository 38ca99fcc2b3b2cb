package io.sparkddpm.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.Seekable;

/**
 * Reader of MNIST's IDX files (LeCun's format): a big-endian header, then unsigned bytes.
 *
 * <ul>
 *   <li>images: magic 2051, count, rows, cols, then count*rows*cols pixels (row-major);
 *   <li>labels: magic 2049, count, then count labels.
 * </ul>
 *
 * <p>Files may be gzipped; gzip is recognised by its magic bytes, so {@code x.gz} and a gzip file
 * without the suffix both work. Every fault is an {@link IllegalArgumentException} whose message
 * starts with the file name and says what is wrong. The declared sizes are checked against the file
 * before anything is allocated from them: against the length when it is known (a raw file),
 * otherwise by reading in bounded pieces and failing where the data ends, so a corrupt header
 * cannot make the reader allocate gigabytes.
 */
public final class IdxReader {
  /** Magic number of an IDX file of unsigned bytes with 3 dimensions (images). */
  public static final int IMAGES_MAGIC = 0x00000803;

  /** Magic number of an IDX file of unsigned bytes with 1 dimension (labels). */
  public static final int LABELS_MAGIC = 0x00000801;

  /** Length unknown (a compressed stream). */
  public static final long UNKNOWN_LENGTH = -1;

  private static final int IMAGES_HEADER = 16;
  private static final int LABELS_HEADER = 8;
  // Bounded read size for labels of a stream of unknown length.
  private static final int CHUNK = 1 << 16;

  private IdxReader() {}

  /**
   * Reads the images and labels of one split and pairs them up, {@code index} = position.
   *
   * @param images the images file on any Hadoop file system
   * @param labels the labels file
   * @param conf the Hadoop configuration to open them with (Spark's {@code hadoopConfiguration()})
   */
  public static List<MnistImage> readPair(Path images, Path labels, Configuration conf) {
    byte[] labelBytes = readLabels(labels, conf);
    byte[][] pixels = readImages(images, conf);
    if (pixels.length != labelBytes.length) {
      throw new IllegalArgumentException(
          "count mismatch: "
              + images
              + " holds "
              + pixels.length
              + " images but "
              + labels
              + " holds "
              + labelBytes.length
              + " labels");
    }
    List<MnistImage> out = new ArrayList<>(pixels.length);
    for (int i = 0; i < pixels.length; i++) {
      out.add(new MnistImage(i, labelBytes[i], pixels[i]));
    }
    return out;
  }

  /** Reads an images file from any Hadoop file system ({@code file://}, {@code hdfs://}, ...). */
  public static byte[][] readImages(Path path, Configuration conf) {
    try {
      FileSystem fs = path.getFileSystem(conf);
      long length = fs.getFileStatus(path).getLen();
      try (InputStream in = fs.open(path)) {
        return readImages(in, path.toString(), length);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(path + ": cannot read: " + e.getMessage(), e);
    }
  }

  /** Reads a labels file from any Hadoop file system. */
  public static byte[] readLabels(Path path, Configuration conf) {
    try {
      FileSystem fs = path.getFileSystem(conf);
      long length = fs.getFileStatus(path).getLen();
      try (InputStream in = fs.open(path)) {
        return readLabels(in, path.toString(), length);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(path + ": cannot read: " + e.getMessage(), e);
    }
  }

  /**
   * Checks a whole images file (header, dimensions, length; a gzip stream is read through to its
   * end without keeping the pixels) and returns its image count.
   */
  public static long countImages(Path path, Configuration conf) {
    return withImages(
        path,
        conf,
        (in, count) -> {
          in.skip(count * MnistImage.PIXELS, count + " images");
          in.expectEnd();
          return count;
        });
  }

  /**
   * Reads images {@code from} (inclusive) to {@code to} (exclusive) of an images file: a raw file
   * is read from a seek to the first one, a gzip stream is decompressed up to the last one.
   *
   * @return one 784-byte array per image
   */
  public static byte[][] readImages(Path path, Configuration conf, long from, long to) {
    return withImages(
        path,
        conf,
        (in, count) -> {
          if (from < 0 || from > to || to > count) {
            throw new IllegalArgumentException(
                path + ": images " + from + ".." + to + " asked of a file of " + count);
          }
          in.seek(IMAGES_HEADER + from * MnistImage.PIXELS, "image " + from);
          byte[][] out = new byte[(int) (to - from)][];
          for (int i = 0; i < out.length; i++) {
            out[i] = in.readExactly(MnistImage.PIXELS, "image " + (from + i) + " of " + count);
          }
          return out;
        });
  }

  /** Labels {@code from} (inclusive) to {@code to} (exclusive) of a labels file, each 0..9. */
  public static byte[] readLabels(Path path, Configuration conf, long from, long to) {
    byte[] all = readLabels(path, conf); // 1 byte an image: reading them all costs little
    if (from < 0 || from > to || to > all.length) {
      throw new IllegalArgumentException(
          path + ": labels " + from + ".." + to + " asked of a file of " + all.length);
    }
    return Arrays.copyOfRange(all, (int) from, (int) to);
  }

  /** What is done with an images file once its header is checked: (input, image count). */
  private interface ImagesBody<T> {
    T read(Input in, long count) throws IOException;
  }

  private static <T> T withImages(Path path, Configuration conf, ImagesBody<T> body) {
    try {
      FileSystem fs = path.getFileSystem(conf);
      long length = fs.getFileStatus(path).getLen();
      try (FSDataInputStream raw = fs.open(path)) {
        Input in = open(raw, path.toString(), length);
        return body.read(in, imagesHeader(in, path.toString()));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(path + ": cannot read: " + e.getMessage(), e);
    }
  }

  /**
   * Reads 28x28 images from a stream (raw or gzip).
   *
   * @param source names the stream in error messages
   * @param length the stream's length in bytes, or {@link #UNKNOWN_LENGTH}; ignored when gzipped
   * @return one 784-byte array per image
   */
  public static byte[][] readImages(InputStream raw, String source, long length)
      throws IOException {
    Input in = open(raw, source, length);
    long count = imagesHeader(in, source);
    long size = MnistImage.PIXELS;
    // The list grows as data arrives, so a lying count on a gzip stream fails at its end instead
    // of allocating count*784 bytes up front.
    List<byte[]> images = new ArrayList<>((int) Math.min(count, CHUNK));
    for (long i = 0; i < count; i++) {
      images.add(in.readExactly((int) size, "image " + i + " of " + count));
    }
    in.expectEnd();
    return images.toArray(new byte[0][]);
  }

  /**
   * Reads labels (each 0..9) from a stream (raw or gzip).
   *
   * @param source names the stream in error messages
   * @param length the stream's length in bytes, or {@link #UNKNOWN_LENGTH}; ignored when gzipped
   */
  public static byte[] readLabels(InputStream raw, String source, long length) throws IOException {
    Input in = open(raw, source, length);
    // The magic comes first on its own, so a file of the other kind is named as such.
    int magic = intAt(in.readExactly(4, "magic number"), 0);
    if (magic != LABELS_MAGIC) {
      throw wrongMagic(source, magic, LABELS_MAGIC, "labels", IMAGES_MAGIC, "images");
    }
    long count = Integer.toUnsignedLong(intAt(in.readExactly(4, "count"), 0));
    in.checkLength(LABELS_HEADER + count, count + " labels");
    if (count > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(source + ": declared count " + count + " is too large");
    }
    byte[] labels = new byte[(int) Math.min(count, CHUNK)];
    int n = 0;
    while (n < count) {
      int piece = (int) Math.min(CHUNK, count - n);
      byte[] chunk = in.readExactly(piece, "labels " + n + ".." + (n + piece - 1) + " of " + count);
      if (n + piece > labels.length) {
        labels = Arrays.copyOf(labels, (int) Math.min(count, 2L * (n + piece)));
      }
      System.arraycopy(chunk, 0, labels, n, piece);
      n += piece;
    }
    in.expectEnd();
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] < 0 || labels[i] > 9) {
        throw new IllegalArgumentException(
            source + ": label " + (labels[i] & 0xFF) + " at index " + i + " is outside 0..9");
      }
    }
    return labels;
  }

  /** Reads and checks an images header (and the length, when known); returns the count. */
  private static long imagesHeader(Input in, String source) throws IOException {
    // The magic comes first on its own, so a file of the other kind is named as such.
    int magic = intAt(in.readExactly(4, "magic number"), 0);
    if (magic != IMAGES_MAGIC) {
      throw wrongMagic(source, magic, IMAGES_MAGIC, "images", LABELS_MAGIC, "labels");
    }
    byte[] dims = in.readExactly(IMAGES_HEADER - 4, "rest of the header");
    long count = Integer.toUnsignedLong(intAt(dims, 0));
    long rows = Integer.toUnsignedLong(intAt(dims, 4));
    long cols = Integer.toUnsignedLong(intAt(dims, 8));
    if (rows != MnistImage.SIDE || cols != MnistImage.SIDE) {
      throw new IllegalArgumentException(
          source + ": images are " + rows + "x" + cols + ", expected 28x28 (MNIST)");
    }
    in.checkLength(IMAGES_HEADER + count * rows * cols, count + " x " + rows + " x " + cols);
    return count;
  }

  private static IllegalArgumentException wrongMagic(
      String source, int found, int expected, String what, int other, String otherWhat) {
    String hint = found == other ? " (this looks like an IDX " + otherWhat + " file)" : "";
    return new IllegalArgumentException(
        String.format(
            "%s: wrong magic number %d (0x%08x), expected %d (0x%08x) for IDX %s%s",
            source, found, found, expected, expected, what, hint));
  }

  private static int intAt(byte[] b, int at) {
    return (b[at] & 0xFF) << 24
        | (b[at + 1] & 0xFF) << 16
        | (b[at + 2] & 0xFF) << 8
        | b[at + 3] & 0xFF;
  }

  private static Input open(InputStream raw, String source, long length) throws IOException {
    BufferedInputStream buffered = new BufferedInputStream(raw, CHUNK);
    buffered.mark(2);
    int b0 = buffered.read();
    int b1 = buffered.read();
    buffered.reset();
    if (b0 == 0x1f && b1 == 0x8b) {
      return new Input(new GZIPInputStream(buffered, CHUNK), source, UNKNOWN_LENGTH, null);
    }
    // A raw file system stream can seek; it is read through the buffer until it does.
    return new Input(buffered, source, length, raw instanceof Seekable s ? s : null);
  }

  /** A stream that knows its name, its length if any, and how much was read. */
  private static final class Input {
    private final String source;
    private final long length;
    private final Seekable seekable; // null: forward only (gzip, plain streams)
    private InputStream in;
    private long position;

    Input(InputStream in, String source, long length, Seekable seekable) {
      this.in = in;
      this.source = source;
      this.length = length;
      this.seekable = seekable;
    }

    /** Moves forward to {@code offset}: a seek when the file allows it, else a read-through. */
    void seek(long offset, String what) throws IOException {
      if (offset < position) {
        throw new IllegalStateException(source + ": cannot seek back to " + offset);
      }
      if (seekable != null) {
        seekable.seek(offset);
        // The old buffer holds bytes of the old position: buffer afresh from the new one.
        in = new BufferedInputStream((InputStream) seekable, CHUNK);
        position = offset;
      } else {
        skip(offset - position, what);
      }
    }

    /** Reads and drops {@code n} bytes, failing like {@link #readExactly} where the data ends. */
    void skip(long n, String what) throws IOException {
      long left = n;
      while (left > 0) {
        int piece = (int) Math.min(CHUNK, left);
        readExactly(piece, what + " (skipping " + n + " bytes)");
        left -= piece;
      }
    }

    /** Fails unless the known length equals {@code needed}; a no-op for unknown lengths. */
    void checkLength(long needed, String declared) {
      if (length != UNKNOWN_LENGTH && length != needed) {
        throw new IllegalArgumentException(
            source
                + ": declared dimensions "
                + declared
                + " need "
                + needed
                + " bytes but the file has "
                + length
                + " bytes");
      }
    }

    byte[] readExactly(int n, String what) throws IOException {
      byte[] out = new byte[n];
      int got = 0;
      try {
        while (got < n) {
          int r = in.read(out, got, n - got);
          if (r < 0) {
            break;
          }
          got += r;
        }
      } catch (java.io.EOFException e) {
        // A cut gzip stream ends with "Unexpected end of ZLIB input stream".
        throw new IllegalArgumentException(
            source + ": truncated file: gzip data ends while reading " + what, e);
      } catch (IOException e) {
        throw new IOException(source + ": cannot read " + what + ": " + e.getMessage(), e);
      }
      position += got;
      if (got < n) {
        throw new IllegalArgumentException(
            source
                + ": truncated file: "
                + what
                + " needs "
                + n
                + " bytes at offset "
                + (position - got)
                + ", only "
                + got
                + " available");
      }
      return out;
    }

    void expectEnd() throws IOException {
      if (in.read() >= 0) {
        throw new IllegalArgumentException(
            source + ": unexpected data after the declared content (offset " + position + ")");
      }
    }
  }
}
