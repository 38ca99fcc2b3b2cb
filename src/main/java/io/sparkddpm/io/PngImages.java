package io.sparkddpm.io;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * 8-bit grayscale PNGs: one image, a grid of images, and a grid of reverse-process trajectories.
 *
 * <p>Images are written as {@link BufferedImage#TYPE_BYTE_GRAY}, so PIL opens them in mode "L" and
 * Hugging Face {@code datasets} shows them as MNIST does. Pixels are row-major, one unsigned byte
 * each (0 black, 255 white).
 */
public final class PngImages {
  private PngImages() {}

  /**
   * A decoded grayscale image.
   *
   * @param width columns
   * @param height rows
   * @param pixels {@code height * width} unsigned bytes, row-major
   */
  public record GrayImage(int width, int height, byte[] pixels) {
    /** Checks that the pixel count matches the size. */
    public GrayImage {
      checkSize(width, height, pixels.length);
    }

    /** The pixel at column {@code x}, row {@code y}, as 0..255. */
    public int pixel(int x, int y) {
      return pixels[y * width + x] & 0xFF;
    }
  }

  /** Encodes {@code height * width} row-major pixels (unsigned bytes) as an 8-bit gray PNG. */
  public static byte[] encode(int width, int height, byte[] pixels) {
    checkSize(width, height, pixels.length);
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
    image.getRaster().setDataElements(0, 0, width, height, pixels);
    return toPng(image);
  }

  /**
   * Encodes a 3-channel image given planar, as the model outputs it ((3, H, W) unsigned bytes), as
   * an 8-bit RGB PNG.
   */
  public static byte[] encodeRgb(int width, int height, byte[] chw) {
    checkSize(width, height * 3, chw.length);
    int plane = width * height;
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
    int[] rgb = new int[plane]; // packed 0xRRGGBB, what setRGB takes
    for (int p = 0; p < plane; p++) {
      rgb[p] = (chw[p] & 0xFF) << 16 | (chw[plane + p] & 0xFF) << 8 | (chw[2 * plane + p] & 0xFF);
    }
    image.setRGB(0, 0, width, height, rgb, 0, width);
    return toPng(image);
  }

  /** Encodes {@code height * width} row-major pixels in 0..255 as an 8-bit gray PNG. */
  public static byte[] encode(int width, int height, int[] pixels) {
    checkSize(width, height, pixels.length);
    byte[] bytes = new byte[pixels.length];
    for (int i = 0; i < pixels.length; i++) {
      if (pixels[i] < 0 || pixels[i] > 255) {
        throw new IllegalArgumentException(
            "pixel " + i + " is " + pixels[i] + "; pixels must be in 0..255");
      }
      bytes[i] = (byte) pixels[i];
    }
    return encode(width, height, bytes);
  }

  /**
   * Decodes an 8-bit grayscale PNG.
   *
   * @throws IllegalArgumentException if the bytes are not an image ImageIO can read, or the image
   *     is not 8-bit grayscale (colour, alpha, palette and 16-bit images are refused rather than
   *     silently converted)
   */
  public static GrayImage decode(byte[] png) {
    BufferedImage image;
    try {
      image = ImageIO.read(new ByteArrayInputStream(png));
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "cannot decode " + png.length + " bytes as PNG: " + e.getMessage(), e);
    }
    if (image == null) {
      throw new IllegalArgumentException(
          "cannot decode " + png.length + " bytes as PNG: no image reader recognises them");
    }
    if (image.getType() != BufferedImage.TYPE_BYTE_GRAY) {
      throw new IllegalArgumentException(
          "expected an 8-bit grayscale PNG, got BufferedImage type "
              + image.getType()
              + " with "
              + image.getColorModel().getNumComponents()
              + " components");
    }
    int width = image.getWidth();
    int height = image.getHeight();
    byte[] pixels = new byte[width * height];
    image.getRaster().getDataElements(0, 0, width, height, pixels);
    return new GrayImage(width, height, pixels);
  }

  /**
   * Lays square images out row-major in a grid, as torchvision's {@code make_grid} does: {@code
   * padding} black pixels between images and around the border, unused cells of the last row black.
   *
   * @param images each {@code side * side} pixels
   * @param side width and height of every image
   * @param columns images per row
   * @param padding black pixels between neighbours and at the border
   * @return the grid as an 8-bit gray PNG
   */
  public static byte[] grid(List<byte[]> images, int side, int columns, int padding) {
    GrayImage grid = gridPixels(images, side, columns, padding);
    return encode(grid.width(), grid.height(), grid.pixels());
  }

  /** The pixels of {@link #grid}, before PNG encoding. */
  public static GrayImage gridPixels(List<byte[]> images, int side, int columns, int padding) {
    if (images.isEmpty()) {
      throw new IllegalArgumentException("a grid needs at least one image");
    }
    if (side <= 0 || columns <= 0 || padding < 0) {
      throw new IllegalArgumentException(
          "side and columns must be positive and padding non-negative, got side="
              + side
              + " columns="
              + columns
              + " padding="
              + padding);
    }
    int rows = (images.size() + columns - 1) / columns;
    int cell = side + padding;
    int width = columns * cell + padding;
    int height = rows * cell + padding;
    byte[] pixels = new byte[width * height]; // zero = black padding
    for (int i = 0; i < images.size(); i++) {
      byte[] image = images.get(i);
      if (image.length != side * side) {
        throw new IllegalArgumentException(
            "image " + i + " has " + image.length + " pixels, expected " + side + "x" + side);
      }
      int left = padding + (i % columns) * cell;
      int top = padding + (i / columns) * cell;
      for (int y = 0; y < side; y++) {
        System.arraycopy(image, y * side, pixels, (top + y) * width + left, side);
      }
    }
    return new GrayImage(width, height, pixels);
  }

  /**
   * A grid of reverse-process trajectories: one row per sample, one column per recorded point (e.g.
   * x_T ... x_0).
   *
   * @param trajectories per sample, its images in reverse-process order; all of equal length
   */
  public static byte[] trajectory(List<List<byte[]>> trajectories, int side, int padding) {
    if (trajectories.isEmpty()) {
      throw new IllegalArgumentException("a trajectory grid needs at least one sample");
    }
    int points = trajectories.get(0).size();
    List<byte[]> images = new ArrayList<>(trajectories.size() * points);
    for (int s = 0; s < trajectories.size(); s++) {
      List<byte[]> row = trajectories.get(s);
      if (row.size() != points) {
        throw new IllegalArgumentException(
            "sample " + s + " has " + row.size() + " points, sample 0 has " + points);
      }
      images.addAll(row);
    }
    return grid(images, side, points, padding);
  }

  static {
    // In memory: ImageIO's file cache adds a JVM shutdown hook on first use, which throws once a
    // shutdown has begun (a PNG written during a graceful stop: loss.png, a sample grid).
    ImageIO.setUseCache(false);
  }

  /** Encodes any image as PNG; shared with {@link Charts}. */
  static byte[] toPng(BufferedImage image) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      if (!ImageIO.write(image, "png", out)) {
        throw new IllegalStateException("no PNG writer available in this JVM");
      }
    } catch (IOException e) {
      // A ByteArrayOutputStream never fails; a failure here is an ImageIO bug.
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private static void checkSize(int width, int height, int pixelCount) {
    if (width <= 0 || height <= 0) {
      throw new IllegalArgumentException(
          "width and height must be positive, got " + width + "x" + height);
    }
    if ((long) width * height != pixelCount) {
      throw new IllegalArgumentException(
          "a "
              + width
              + "x"
              + height
              + " image needs "
              + (long) width * height
              + " pixels, got "
              + pixelCount);
    }
  }
}
