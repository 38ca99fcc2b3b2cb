package io.sparkddpm.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkddpm.io.PngImages.GrayImage;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class PngImagesTest {
  private static final int SIDE = 32;

  /** A 32x32 image whose every pixel is distinct from the same pixel of other ids. */
  private static byte[] image(int id) {
    byte[] pixels = new byte[SIDE * SIDE];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = (byte) (1 + (i * 7 + id * 31) % 255); // never 0, so padding is distinguishable
    }
    return pixels;
  }

  @Test
  void encodeThenDecodeReturnsTheSamePixels() {
    byte[] pixels = new byte[SIDE * SIDE];
    new Random(0).nextBytes(pixels);
    pixels[0] = 0;
    pixels[1] = (byte) 255;

    GrayImage decoded = PngImages.decode(PngImages.encode(SIDE, SIDE, pixels));

    assertEquals(SIDE, decoded.width());
    assertEquals(SIDE, decoded.height());
    assertArrayEquals(pixels, decoded.pixels());
    assertEquals(255, decoded.pixel(1, 0));
  }

  @Test
  void intPixelsEncodeLikeBytes() {
    int[] ints = new int[6 * 4];
    byte[] bytes = new byte[ints.length];
    for (int i = 0; i < ints.length; i++) {
      ints[i] = i * 11;
      bytes[i] = (byte) ints[i];
    }
    assertArrayEquals(bytes, PngImages.decode(PngImages.encode(6, 4, ints)).pixels());
    assertThrows(IllegalArgumentException.class, () -> PngImages.encode(1, 1, new int[] {256}));
  }

  @Test
  void imageIoReadsEncodedImageAsEightBitGray() throws IOException {
    BufferedImage image =
        ImageIO.read(new ByteArrayInputStream(PngImages.encode(SIDE, SIDE, image(3))));

    assertEquals(BufferedImage.TYPE_BYTE_GRAY, image.getType());
    assertEquals(SIDE, image.getWidth());
    assertEquals(SIDE, image.getHeight());
    assertEquals(8, image.getColorModel().getPixelSize());
  }

  @Test
  void wrongPixelCountIsRefused() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> PngImages.encode(SIDE, SIDE, new byte[10]));
    assertTrue(e.getMessage().contains("needs 1024 pixels, got 10"), e.getMessage());
  }

  @Test
  void undecodableBytesGiveAClearError() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> PngImages.decode(new byte[] {1, 2, 3, 4}));
    assertTrue(e.getMessage().startsWith("cannot decode 4 bytes as PNG"), e.getMessage());
  }

  @Test
  void colourPngIsRefused() {
    BufferedImage rgb = new BufferedImage(2, 2, BufferedImage.TYPE_INT_RGB);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> PngImages.decode(PngImages.toPng(rgb)));
    assertTrue(e.getMessage().contains("8-bit grayscale"), e.getMessage());
  }

  @Test
  void gridPlacesImagesRowMajorBetweenBlackPadding() {
    List<byte[]> images = new ArrayList<>();
    for (int id = 0; id < 5; id++) {
      images.add(image(id));
    }
    int columns = 3;
    int padding = 2;

    GrayImage grid = PngImages.decode(PngImages.grid(images, SIDE, columns, padding));

    // 3 columns x 2 rows of 32 px, 2 px before, between and after.
    assertEquals(3 * 34 + 2, grid.width());
    assertEquals(2 * 34 + 2, grid.height());
    for (int id = 0; id < images.size(); id++) {
      int left = padding + (id % columns) * (SIDE + padding);
      int top = padding + (id / columns) * (SIDE + padding);
      for (int y = 0; y < SIDE; y++) {
        for (int x = 0; x < SIDE; x++) {
          assertEquals(
              images.get(id)[y * SIDE + x] & 0xFF,
              grid.pixel(left + x, top + y),
              "image " + id + " at (" + x + ", " + y + ")");
        }
      }
    }
    // Padding lines, the border and the unused sixth cell are black.
    for (int y = 0; y < grid.height(); y++) {
      assertEquals(0, grid.pixel(0, y));
      assertEquals(0, grid.pixel(1 + SIDE + padding, y));
      assertEquals(0, grid.pixel(grid.width() - 1, y));
    }
    for (int x = 0; x < grid.width(); x++) {
      assertEquals(0, grid.pixel(x, padding + SIDE));
    }
    assertEquals(0, grid.pixel(padding + 2 * (SIDE + padding) + 5, padding + SIDE + padding + 5));
  }

  @Test
  void trajectoryGridHasOneRowPerSampleAndOneColumnPerPoint() {
    List<List<byte[]>> trajectories =
        List.of(List.of(image(0), image(1), image(2)), List.of(image(3), image(4), image(5)));

    GrayImage grid = PngImages.decode(PngImages.trajectory(trajectories, SIDE, 1));

    assertEquals(3 * 33 + 1, grid.width());
    assertEquals(2 * 33 + 1, grid.height());
    assertEquals(image(5)[0] & 0xFF, grid.pixel(1 + 2 * 33, 1 + 33));
    assertThrows(
        IllegalArgumentException.class,
        () -> PngImages.trajectory(List.of(List.of(image(0)), List.of()), SIDE, 1));
  }

  @Test
  void gridRefusesWrongSizedImages() {
    assertThrows(
        IllegalArgumentException.class,
        () -> PngImages.grid(List.of(image(0), new byte[4]), SIDE, 2, 2));
    assertThrows(IllegalArgumentException.class, () -> PngImages.grid(List.of(), SIDE, 2, 2));
  }
}
