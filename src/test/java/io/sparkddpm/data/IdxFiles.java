package io.sparkddpm.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPOutputStream;

/** Test fixtures: small IDX files written by the tests themselves, from seeded random pixels. */
public final class IdxFiles {
  private IdxFiles() {}

  /** {@code n} images with seeded random pixels and labels {@code i % 10}. */
  static List<MnistImage> images(int n, long seed) {
    Random random = new Random(seed);
    List<MnistImage> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      byte[] pixels = new byte[MnistImage.PIXELS];
      random.nextBytes(pixels);
      out.add(new MnistImage(i, i % 10, pixels));
    }
    return out;
  }

  /** IDX images bytes with an arbitrary header, so tests can lie about the sizes. */
  static byte[] imagesBytes(int magic, int count, int rows, int cols, byte[]... pixels) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(
        ByteBuffer.allocate(16).putInt(magic).putInt(count).putInt(rows).putInt(cols).array());
    for (byte[] p : pixels) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  public static byte[] imagesBytes(List<MnistImage> images) {
    return imagesBytes(
        IdxReader.IMAGES_MAGIC,
        images.size(),
        28,
        28,
        images.stream().map(MnistImage::pixels).toArray(byte[][]::new));
  }

  static byte[] labelsBytes(int magic, int count, byte[] labels) {
    return ByteBuffer.allocate(8 + labels.length).putInt(magic).putInt(count).put(labels).array();
  }

  public static byte[] labelsBytes(List<MnistImage> images) {
    byte[] labels = new byte[images.size()];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = (byte) images.get(i).label();
    }
    return labelsBytes(IdxReader.LABELS_MAGIC, labels.length, labels);
  }

  public static byte[] gzip(byte[] data) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(data);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  static Path write(Path file, byte[] data) {
    try {
      return Files.write(file, data);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes the images and labels of a split into {@code dir} under the canonical names. */
  static void writeSplit(Path dir, String prefix, List<MnistImage> images, boolean gz) {
    String suffix = gz ? ".gz" : "";
    byte[] img = imagesBytes(images);
    byte[] lab = labelsBytes(images);
    write(dir.resolve(prefix + "-images-idx3-ubyte" + suffix), gz ? gzip(img) : img);
    write(dir.resolve(prefix + "-labels-idx1-ubyte" + suffix), gz ? gzip(lab) : lab);
  }

  /** The project directory (Surefire sets basedir; the working directory otherwise). */
  public static Path projectDir() {
    return Path.of(System.getProperty("basedir", "")).toAbsolutePath();
  }
}
