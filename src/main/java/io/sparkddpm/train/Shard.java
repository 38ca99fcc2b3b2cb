package io.sparkddpm.train;

import io.sparkddpm.data.DataImage;
import io.sparkddpm.data.ImageSource;
import io.sparkddpm.data.MnistImage;
import io.sparkddpm.data.PillowResize;
import io.sparkddpm.data.PixelRange;
import io.sparkddpm.data.Preprocess;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

/**
 * One executor's share of the training set, looked up by global image index, with each image's
 * label ({@link DataImage#NO_LABEL} in an unlabelled set).
 *
 * <p>The images are kept as the source resized them (stage 1 of {@link Preprocess}: the shorter
 * side at the resolution, the channels the model's), as compact bytes: 1 KiB a 32x32 gray image, 60
 * MiB for all of MNIST. The crop to NxN and the flip depend on the epoch, so they are applied each
 * time a batch reads an image ({@link #modelInput}), from the seed of (run seed, epoch, image):
 * retried tasks, rebuilt shards and resumed runs see the same pixels.
 */
public final class Shard implements Serializable {
  private static final long serialVersionUID = 2L;

  /** Pixels per image of an MNIST shard (one channel, resized to 32x32). */
  public static final int PIXELS = PillowResize.OUT * PillowResize.OUT;

  private final Preprocess preprocess; // its range is unused: the step plan's is
  private final int channels;
  private final long[] indices; // ascending
  private final int[] labels; // per row
  private final int[] heights; // of the resized images
  private final int[] widths;
  private final int[] offsets; // row r is pixels[offsets[r] .. offsets[r + 1]]
  private final byte[] pixels; // resized images one after another, each (C, H, W) uint8

  /**
   * A shard of the images an iterator yields (one Spark partition), each of {@code channels}
   * channels and already resized for {@code preprocess} (shorter side = its resolution).
   */
  public static Shard ofImages(Iterator<DataImage> images, int channels, Preprocess preprocess) {
    List<DataImage> list = new ArrayList<>();
    images.forEachRemaining(list::add);
    list.sort((a, b) -> Long.compare(a.index(), b.index()));
    int n = list.size();
    long[] indices = new long[n];
    int[] labels = new int[n];
    int[] heights = new int[n];
    int[] widths = new int[n];
    int[] offsets = new int[n + 1];
    int side = preprocess.resolution();
    for (int i = 0; i < n; i++) {
      DataImage img = list.get(i);
      if (img.channels() != channels || Math.min(img.height(), img.width()) != side) {
        throw new IllegalStateException(
            img + ": expected " + channels + " channel(s) and a shorter side of " + side);
      }
      indices[i] = img.index();
      labels[i] = img.label();
      heights[i] = img.height();
      widths[i] = img.width();
      offsets[i + 1] = Math.addExact(offsets[i], img.pixels().length);
    }
    byte[] pixels = new byte[offsets[n]];
    for (int i = 0; i < n; i++) {
      byte[] own = list.get(i).pixels();
      System.arraycopy(own, 0, pixels, offsets[i], own.length);
    }
    return new Shard(preprocess, channels, indices, labels, heights, widths, offsets, pixels);
  }

  /**
   * A shard of the MNIST images an iterator yields, each resized to 32x32 with the default
   * preprocessing (a square image: no crop, no flip).
   */
  public static Shard of(Iterator<MnistImage> images) {
    ImageSource.Target target = new ImageSource.Target(1, PillowResize.OUT);
    List<DataImage> resized = new ArrayList<>();
    images.forEachRemaining(m -> resized.add(ImageSource.resized(DataImage.of(m), target)));
    return ofImages(
        resized.iterator(),
        1,
        new Preprocess(PillowResize.OUT, false, false, PixelRange.MINUS_ONE_TO_ONE));
  }

  private Shard(
      Preprocess preprocess,
      int channels,
      long[] indices,
      int[] labels,
      int[] heights,
      int[] widths,
      int[] offsets,
      byte[] pixels) {
    this.preprocess = preprocess;
    this.channels = channels;
    this.indices = indices;
    this.labels = labels;
    this.heights = heights;
    this.widths = widths;
    this.offsets = offsets;
    this.pixels = pixels;
  }

  /** Values per model input image: channels x N x N. */
  public int imagePixels() {
    return channels * preprocess.resolution() * preprocess.resolution();
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

  /** Row {@code row} as stored: resized, not yet cropped or flipped. */
  DataImage resized(int row) {
    byte[] own = Arrays.copyOfRange(pixels, offsets[row], offsets[row + 1]);
    return new DataImage(indices[row], labels[row], channels, heights[row], widths[row], own);
  }

  /**
   * Writes the model input (C, N, N) of row {@code row} in {@code epoch} of a run seeded {@code
   * runSeed} to {@code out[offset ..]}: the crop and flip {@link Preprocess#augment} draws for the
   * image's seed ({@link Preprocess#imageSeed}), mapped to {@code range}.
   */
  void modelInput(int row, long runSeed, int epoch, PixelRange range, float[] out, int offset) {
    int h = heights[row];
    int w = widths[row];
    int n = preprocess.resolution();
    Preprocess.Augment a =
        preprocess.augment(w, h, Preprocess.imageSeed(runSeed, epoch, indices[row]));
    int base = offsets[row];
    int k = offset;
    for (int c = 0; c < channels; c++) {
      for (int y = 0; y < n; y++) {
        int src = base + (c * h + a.top() + y) * w + a.left();
        for (int x = 0; x < n; x++) {
          out[k++] = range.toModel(pixels[src + (a.flip() ? n - 1 - x : x)] & 0xFF);
        }
      }
    }
  }

  /** Global indices held, ascending. */
  long[] indices() {
    return indices;
  }
}
