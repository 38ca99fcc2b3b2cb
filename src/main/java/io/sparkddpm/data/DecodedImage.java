package io.sparkddpm.data;

import java.io.Serializable;
import java.util.Arrays;

/**
 * A decoded 8-bit image as a source hands it to {@link Preprocess}: interleaved HWC bytes, as
 * Pillow's {@code np.asarray(img)} lays them out for mode {@code L} (1 channel) or {@code RGB} (3).
 *
 * @param width pixels per row, at least 1
 * @param height rows, at least 1
 * @param channels 1 (gray) or 3 (RGB)
 * @param pixels {@code height * width * channels} unsigned bytes, row-major, channels interleaved
 */
public record DecodedImage(int width, int height, int channels, byte[] pixels)
    implements Serializable {

  /** Validates the shape against the pixel count. */
  public DecodedImage {
    if (width < 1 || height < 1) {
      throw new IllegalArgumentException(
          "image size must be at least 1x1, got " + width + "x" + height);
    }
    if (channels != 1 && channels != 3) {
      throw new IllegalArgumentException("channels must be 1 (gray) or 3 (RGB), got " + channels);
    }
    long expected = (long) width * height * channels;
    if (pixels == null || pixels.length != expected) {
      throw new IllegalArgumentException(
          String.format(
              "a %dx%d image with %d channel(s) needs %d bytes, got %s",
              width, height, channels, expected, pixels == null ? "null" : pixels.length));
    }
  }

  /** A 28x28 gray MNIST image. */
  public static DecodedImage of(MnistImage image) {
    return new DecodedImage(MnistImage.SIDE, MnistImage.SIDE, 1, image.pixels());
  }

  /** {@code image}'s (C, H, W) pixels interleaved as (H, W, C). */
  public static DecodedImage ofChw(DataImage image) {
    int c = image.channels();
    int plane = image.height() * image.width();
    byte[] chw = image.pixels();
    byte[] hwc = c == 1 ? chw : new byte[chw.length];
    for (int ch = 0; c > 1 && ch < c; ch++) {
      for (int p = 0; p < plane; p++) {
        hwc[p * c + ch] = chw[ch * plane + p];
      }
    }
    return new DecodedImage(image.width(), image.height(), c, hwc);
  }

  /** The pixels as (C, H, W), a new array for RGB, this image's own for gray. */
  public byte[] chw() {
    int plane = height * width;
    if (channels == 1) {
      return pixels;
    }
    byte[] out = new byte[pixels.length];
    for (int ch = 0; ch < channels; ch++) {
      for (int p = 0; p < plane; p++) {
        out[ch * plane + p] = pixels[p * channels + ch];
      }
    }
    return out;
  }

  /** Sample {@code c} of pixel ({@code y}, {@code x}) as 0..255. */
  public int get(int y, int x, int c) {
    return pixels[(y * width + x) * channels + c] & 0xFF;
  }

  // Records compare arrays by reference; two images with the same content are equal.
  @Override
  public boolean equals(Object o) {
    return o instanceof DecodedImage d
        && d.width == width
        && d.height == height
        && d.channels == channels
        && Arrays.equals(d.pixels, pixels);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(pixels) * 31 + width * 7 + height * 3 + channels;
  }

  @Override
  public String toString() {
    return "DecodedImage[" + width + "x" + height + "x" + channels + "]";
  }
}
