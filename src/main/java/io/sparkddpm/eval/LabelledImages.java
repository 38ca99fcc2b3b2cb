package io.sparkddpm.eval;

import java.util.List;
import org.apache.spark.api.java.JavaRDD;

/**
 * A part of the labelled data set on the driver, in the samples' channels and size (resized as
 * training resizes): the classifier's training and test data.
 *
 * @param pixels {@code count * imageBytes} 8-bit pixels, (C, H, W) image after image
 * @param labels the classes
 * @param channels 1 or 3
 * @param side width and height
 */
record LabelledImages(byte[] pixels, int[] labels, int channels, int side) {
  int count() {
    return labels.length;
  }

  /** Bytes of one image. */
  int imageBytes() {
    return channels * side * side;
  }

  /** The largest label + 1. */
  int classes() {
    int max = -1;
    for (int l : labels) {
      max = Math.max(max, l);
    }
    return max + 1;
  }

  /** Collects {@code images} in index order; each must have {@code channels * side^2} pixels. */
  static LabelledImages collect(JavaRDD<EvalImage> images, int channels, int side) {
    List<EvalImage> list =
        images.sortBy(EvalImage::index, true, images.getNumPartitions()).collect();
    int bytes = channels * side * side;
    byte[] pixels = new byte[list.size() * bytes];
    int[] labels = new int[list.size()];
    for (int i = 0; i < labels.length; i++) {
      EvalImage m = list.get(i);
      System.arraycopy(m.pixels(), 0, pixels, i * bytes, bytes);
      labels[i] = m.label();
    }
    return new LabelledImages(pixels, labels, channels, side);
  }
}
