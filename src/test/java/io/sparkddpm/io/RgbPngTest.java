package io.sparkddpm.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/**
 * {@link PngImages#encodeRgb}: planar (3, H, W) bytes become a 3-channel PNG ImageIO reads back;
 * RGB grids are the gray grid per plane, and gray output keeps its bytes.
 */
class RgbPngTest {
  @Test
  void planarBytesBecomeAThreeChannelPngWithTheSamePixels() throws IOException {
    int w = 5;
    int h = 3;
    byte[] chw = new byte[3 * w * h];
    for (int i = 0; i < chw.length; i++) {
      chw[i] = (byte) (i * 17 + 3);
    }
    BufferedImage img = ImageIO.read(new ByteArrayInputStream(PngImages.encodeRgb(w, h, chw)));
    assertEquals(3, img.getRaster().getNumBands());
    assertEquals(w, img.getWidth());
    assertEquals(h, img.getHeight());
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        for (int c = 0; c < 3; c++) {
          assertEquals(
              chw[(c * h + y) * w + x] & 0xFF,
              img.getRaster().getSample(x, y, c),
              "x " + x + " y " + y + " c " + c);
        }
      }
    }
  }

  private static byte[] seeded(int n, int seed) {
    byte[] b = new byte[n];
    java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
    for (int i = 0; i < n; i++) {
      b[i] = (byte) r.nextInt(256);
    }
    return b;
  }

  @Test
  void planarRoundTripsAndGrayStaysTheGrayEncoding() {
    byte[] rgb = seeded(3 * 7 * 4, 1);
    assertArrayEquals(rgb, PngImages.decodePlanar(PngImages.encodePlanar(3, 7, 4, rgb), 3));
    byte[] gray = seeded(7 * 4, 2);
    assertArrayEquals(PngImages.encode(7, 4, gray), PngImages.encodePlanar(1, 7, 4, gray));
    assertThrows(
        IllegalArgumentException.class,
        () -> PngImages.decodePlanar(PngImages.encode(7, 4, gray), 3),
        "a gray PNG is not read as RGB");
  }

  @Test
  void anRgbGridLaysEachPlaneOutAsTheGrayGridDoes() {
    int side = 6;
    int plane = side * side;
    List<byte[]> images = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      images.add(seeded(3 * plane, 10 + i));
    }
    byte[] grid = PngImages.decodePlanar(PngImages.grid(images, 3, side, 3, 2), 3);
    int gridPlane = grid.length / 3;
    for (int c = 0; c < 3; c++) {
      List<byte[]> band = new ArrayList<>();
      for (byte[] image : images) {
        band.add(Arrays.copyOfRange(image, c * plane, (c + 1) * plane));
      }
      assertArrayEquals(
          PngImages.gridPixels(band, side, 3, 2).pixels(),
          Arrays.copyOfRange(grid, c * gridPlane, (c + 1) * gridPlane),
          "plane " + c);
    }
    // gray: the same PNG bytes as the gray grid and trajectory
    List<byte[]> gray = new ArrayList<>();
    images.forEach(img -> gray.add(Arrays.copyOf(img, plane)));
    assertArrayEquals(PngImages.grid(gray, side, 3, 2), PngImages.grid(gray, 1, side, 3, 2));
    List<List<byte[]>> rows = List.of(gray.subList(0, 2), gray.subList(2, 4));
    assertArrayEquals(PngImages.trajectory(rows, side, 2), PngImages.trajectory(rows, 1, side, 2));
  }

  @Test
  void wrongByteCountIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> PngImages.encodeRgb(5, 3, new byte[15]));
  }
}
