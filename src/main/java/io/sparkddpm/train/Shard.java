package io.sparkddpm.train;

import io.sparkddpm.data.DataImage;
import io.sparkddpm.data.MnistImage;
import io.sparkddpm.data.PillowResize;
import java.io.Serializable;
import java.util.Arrays;
import java.util.Iterator;

/**
 * One executor's share of the training set, converted once to the model's channels and size and
 * kept as compact bytes (1 KiB a 32x32 gray image, 60 MiB for all of MNIST), looked up by global
 * image index, with each image's label ({@link DataImage#NO_LABEL} in an unlabelled set).
 */
public final class Shard implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Pixels per image of an MNIST shard (one channel, resized to 32x32). */
  public static final int PIXELS = PillowResize.OUT * PillowResize.OUT;

  private final long[] indices; // ascending
  private final int[] labels; // per row
  private final int imagePixels; // channels * side * side
  private final byte[] pixels; // (n, channels, side, side) uint8

  /**
   * A shard of the images an iterator yields (one Spark partition), all of {@code imagePixels}
   * pixels (channels x side x side, as the source converted them).
   */
  public static Shard ofImages(Iterator<DataImage> images, int imagePixels) {
    java.util.List<DataImage> list = new java.util.ArrayList<>();
    images.forEachRemaining(list::add);
    list.sort((a, b) -> Long.compare(a.index(), b.index()));
    long[] indices = new long[list.size()];
    int[] labels = new int[list.size()];
    byte[] pixels = new byte[list.size() * imagePixels];
    for (int i = 0; i < indices.length; i++) {
      DataImage img = list.get(i);
      if (img.pixels().length != imagePixels) {
        throw new IllegalStateException(img + ": expected " + imagePixels + " pixels");
      }
      indices[i] = img.index();
      labels[i] = img.label();
      System.arraycopy(img.pixels(), 0, pixels, i * imagePixels, imagePixels);
    }
    return new Shard(indices, labels, imagePixels, pixels);
  }

  /** A shard of the MNIST images an iterator yields, each resized to 32x32. */
  public static Shard of(Iterator<MnistImage> images) {
    java.util.List<MnistImage> list = new java.util.ArrayList<>();
    images.forEachRemaining(list::add);
    list.sort((a, b) -> Long.compare(a.index(), b.index()));
    long[] indices = new long[list.size()];
    int[] labels = new int[list.size()];
    byte[] pixels = new byte[list.size() * PIXELS];
    byte[] resized = new byte[PIXELS];
    for (int i = 0; i < indices.length; i++) {
      indices[i] = list.get(i).index();
      labels[i] = list.get(i).label();
      PillowResize.resize(list.get(i).pixels(), resized);
      System.arraycopy(resized, 0, pixels, i * PIXELS, PIXELS);
    }
    return new Shard(indices, labels, PIXELS, pixels);
  }

  Shard(long[] indices, int[] labels, int imagePixels, byte[] pixels) {
    this.indices = indices;
    this.labels = labels;
    this.imagePixels = imagePixels;
    this.pixels = pixels;
  }

  /** Pixels per image: channels x side x side. */
  public int imagePixels() {
    return imagePixels;
  }

  /** Label of row {@code row}, or {@link DataImage#NO_LABEL}. */
  public int label(int row) {
    return labels[row];
  }

  /** Number of images. */
  public int size() {
    return indices.length;
  }

  /** Row of global image {@code index}, or -1 if another shard holds it. */
  int rowOf(long index) {
    int r = Arrays.binarySearch(indices, index);
    return r >= 0 ? r : -1;
  }

  /** Pixel {@code p} (0..imagePixels-1, channel-major) of row {@code row}, as 0..255. */
  int pixel(int row, int p) {
    return pixels[row * imagePixels + p] & 0xFF;
  }

  /** Global indices held, ascending. */
  long[] indices() {
    return indices;
  }
}
