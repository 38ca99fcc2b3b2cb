package io.sparkddpm.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/**
 * {@link PngImages#encodeRgb}: planar (3, H, W) bytes become a 3-channel PNG ImageIO reads back.
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

  @Test
  void wrongByteCountIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> PngImages.encodeRgb(5, 3, new byte[15]));
  }
}
