package io.sparkddpm.data;

import java.io.Serializable;
import java.util.Arrays;

/**
 * One training image as a source read it: its position in the data set, its class (or {@link
 * #NO_LABEL}) and its 8-bit pixels in the model's channels, channel-major.
 *
 * @param index position in the data set (0-based), stable across reads of the same files
 * @param label class index >= 0, or {@link #NO_LABEL} for an unlabelled set
 * @param channels 1 (Pillow mode "L") or 3 ("RGB")
 * @param height rows
 * @param width columns
 * @param pixels (channels, height, width) unsigned bytes
 */
public record DataImage(long index, int label, int channels, int height, int width, byte[] pixels)
    implements Serializable {
  /** The label of an image from a set without labels. */
  public static final int NO_LABEL = -1;

  /** Validates the fields and the pixel count. */
  public DataImage {
    if (index < 0) {
      throw new IllegalArgumentException("index must be >= 0, got " + index);
    }
    if (label < NO_LABEL) {
      throw new IllegalArgumentException("label must be >= 0 or NO_LABEL, got " + label);
    }
    if (channels != 1 && channels != 3) {
      throw new IllegalArgumentException("channels must be 1 or 3, got " + channels);
    }
    if (height < 1 || width < 1) {
      throw new IllegalArgumentException("size must be positive, got " + width + "x" + height);
    }
    if (pixels == null || pixels.length != channels * height * width) {
      throw new IllegalArgumentException(
          "pixels must hold "
              + channels * height * width
              + " bytes, got "
              + (pixels == null ? "null" : pixels.length));
    }
  }

  /** An MNIST image as a one-channel 28x28 data image. */
  public static DataImage of(MnistImage m) {
    return new DataImage(m.index(), m.label(), 1, MnistImage.SIDE, MnistImage.SIDE, m.pixels());
  }

  /** This image with another position, for sources that number rows after reading them. */
  public DataImage withIndex(long newIndex) {
    return new DataImage(newIndex, label, channels, height, width, pixels);
  }

  // Records compare arrays by reference; an image equals another with the same content.
  @Override
  public boolean equals(Object o) {
    return o instanceof DataImage d
        && d.index == index
        && d.label == label
        && d.channels == channels
        && d.height == height
        && d.width == width
        && Arrays.equals(d.pixels, pixels);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * Long.hashCode(index) + label) + Arrays.hashCode(pixels);
  }

  @Override
  public String toString() {
    return "DataImage[index="
        + index
        + ", label="
        + label
        + ", "
        + channels
        + "x"
        + height
        + "x"
        + width
        + "]";
  }
}
