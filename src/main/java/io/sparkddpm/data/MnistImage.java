package io.sparkddpm.data;

import java.io.Serializable;
import java.util.Arrays;

/**
 * One MNIST example as read from disk: its position in the split, its digit and its 28x28 pixels.
 *
 * <p>Serializable with Java serialization (Spark's default for RDD elements). Kryo cannot build a
 * record without registering a serializer, so keep the default serializer for RDDs of this type.
 *
 * @param index position in the split (0-based), stable across reads of the same input
 * @param label the digit, 0..9
 * @param pixels 28*28 unsigned bytes, row-major, 0 = background (black)
 */
public record MnistImage(long index, int label, byte[] pixels) implements Serializable {
  /** Side of an MNIST image in pixels. */
  public static final int SIDE = 28;

  /** Pixels in one MNIST image. */
  public static final int PIXELS = SIDE * SIDE;

  /** Validates index, label and pixel count. */
  public MnistImage {
    if (index < 0) {
      throw new IllegalArgumentException("index must be >= 0, got " + index);
    }
    if (label < 0 || label > 9) {
      throw new IllegalArgumentException("label must be 0..9, got " + label);
    }
    if (pixels == null || pixels.length != PIXELS) {
      throw new IllegalArgumentException(
          "pixels must hold "
              + PIXELS
              + " bytes (28x28), got "
              + (pixels == null ? "null" : pixels.length));
    }
  }

  /** The pixel at ({@code row}, {@code col}) as 0..255. */
  public int pixel(int row, int col) {
    return pixels[row * SIDE + col] & 0xFF;
  }

  // Records compare arrays by reference; an image is equal to another with the same content.
  @Override
  public boolean equals(Object o) {
    return o instanceof MnistImage m
        && m.index == index
        && m.label == label
        && Arrays.equals(m.pixels, pixels);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * Long.hashCode(index) + label) + Arrays.hashCode(pixels);
  }

  @Override
  public String toString() {
    return "MnistImage[index=" + index + ", label=" + label + "]";
  }
}
