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
 * 8-bit gray and RGB PNGs: one image, a grid of images, and a grid of reverse-process trajectories.
 *
 * <p>Gray images are written as {@link BufferedImage#TYPE_BYTE_GRAY}, so PIL opens them in mode "L"
 * and Hugging Face {@code datasets} shows them as MNIST does; 3-channel images as 8-bit RGB (mode
 * "RGB"), given planar ((3, H, W), as the model outputs them). Pixels are row-major, one unsigned
 * byte each (0 black, 255 white).
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

  /**
   * Encodes a planar image of {@code channels} (1: gray, as {@link #encode(int, int, byte[])}; 3:
   * RGB, as {@link #encodeRgb}), (C, H, W) unsigned bytes as the model's output is laid out.
   */
  public static byte[] encodePlanar(int channels, int width, int height, byte[] chw) {
    return switch (channels) {
      case 1 -> encode(width, height, chw);
      case 3 -> encodeRgb(width, height, chw);
      default -> throw new IllegalArgumentException("channels must be 1 or 3, got " + channels);
    };
  }

  /**
   * The (C, H, W) pixels of a PNG that {@link #encodePlanar} wrote with {@code channels}.
   *
   * @throws IllegalArgumentException if the bytes do not decode, or the image is not 8-bit gray (1)
   *     or 8-bit RGB without alpha (3)
   */
  public static byte[] decodePlanar(byte[] png, int channels) {
    if (channels == 1) {
      return decode(png).pixels();
    }
    if (channels != 3) {
      throw new IllegalArgumentException("channels must be 1 or 3, got " + channels);
    }
    BufferedImage image = read(png);
    if (image.getColorModel().getNumComponents() != 3
        || image.getColorModel().hasAlpha()
        || image.getRaster().getSampleModel().getSampleSize(0) != 8) {
      throw new IllegalArgumentException(
          "expected an 8-bit RGB PNG, got BufferedImage type " + image.getType());
    }
    int w = image.getWidth();
    int plane = w * image.getHeight();
    int[] rgb = image.getRGB(0, 0, w, image.getHeight(), null, 0, w);
    byte[] chw = new byte[3 * plane];
    for (int p = 0; p < plane; p++) {
      chw[p] = (byte) (rgb[p] >> 16);
      chw[plane + p] = (byte) (rgb[p] >> 8);
      chw[2 * plane + p] = (byte) rgb[p];
    }
    return chw;
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
    BufferedImage image = read(png);
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

  private static BufferedImage read(byte[] png) {
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
    return image;
  }

  /**
   * {@link #grid(List, int, int, int)} of planar images of {@code channels} (each {@code channels *
   * side * side} bytes, (C, H, W)): a gray PNG for 1 channel (the same bytes), an RGB PNG for 3,
   * each plane laid out as the gray grid lays it out.
   */
  public static byte[] grid(List<byte[]> images, int channels, int side, int columns, int padding) {
    if (channels == 1) {
      return grid(images, side, columns, padding);
    }
    int plane = side * side;
    GrayImage[] planes = new GrayImage[channels];
    for (int c = 0; c < channels; c++) {
      List<byte[]> band = new ArrayList<>(images.size());
      for (int i = 0; i < images.size(); i++) {
        byte[] image = images.get(i);
        if (image.length != channels * plane) {
          throw new IllegalArgumentException(
              String.format(
                  "image %d has %d bytes, expected %d channels of %dx%d",
                  i, image.length, channels, side, side));
        }
        band.add(java.util.Arrays.copyOfRange(image, c * plane, (c + 1) * plane));
      }
      planes[c] = gridPixels(band, side, columns, padding);
    }
    int gridPlane = planes[0].pixels().length;
    byte[] chw = new byte[channels * gridPlane];
    for (int c = 0; c < channels; c++) {
      System.arraycopy(planes[c].pixels(), 0, chw, c * gridPlane, gridPlane);
    }
    return encodePlanar(channels, planes[0].width(), planes[0].height(), chw);
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
    return trajectory(trajectories, 1, side, padding);
  }

  /** {@link #trajectory(List, int, int)} of planar images of {@code channels} (1 or 3). */
  public static byte[] trajectory(
      List<List<byte[]>> trajectories, int channels, int side, int padding) {
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
    return grid(images, channels, side, points, padding);
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
