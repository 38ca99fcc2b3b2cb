package io.sparkddpm.train;

import io.sparkddpm.data.MnistImage;
import io.sparkddpm.data.PillowResize;
import java.io.Serializable;
import java.util.Arrays;
import java.util.Iterator;

/**
 * One executor's share of the training set, resized once to 32x32 and kept as compact bytes (1 KiB
 * an image, 60 MiB for all of MNIST), looked up by global image index.
 */
public final class Shard implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Pixels per resized image. */
  public static final int PIXELS = PillowResize.OUT * PillowResize.OUT;

  private final long[] indices; // ascending
  private final byte[] pixels; // (n, 32, 32) uint8

  /** A shard of the images an iterator yields (one Spark partition). */
  public static Shard of(Iterator<MnistImage> images) {
    java.util.List<MnistImage> list = new java.util.ArrayList<>();
    images.forEachRemaining(list::add);
    list.sort((a, b) -> Long.compare(a.index(), b.index()));
    long[] indices = new long[list.size()];
    byte[] pixels = new byte[list.size() * PIXELS];
    byte[] resized = new byte[PIXELS];
    for (int i = 0; i < indices.length; i++) {
      indices[i] = list.get(i).index();
      PillowResize.resize(list.get(i).pixels(), resized);
      System.arraycopy(resized, 0, pixels, i * PIXELS, PIXELS);
    }
    return new Shard(indices, pixels);
  }

  Shard(long[] indices, byte[] pixels) {
    this.indices = indices;
    this.pixels = pixels;
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

  /** Pixel {@code p} (0..1023) of row {@code row}, as 0..255. */
  int pixel(int row, int p) {
    return pixels[row * PIXELS + p] & 0xFF;
  }

  /** Global indices held, ascending. */
  long[] indices() {
    return indices;
  }
}
