package io.sparkddpm.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Decoding plus channel conversion equals Pillow's {@code convert("L")} and {@code convert("RGB")}
 * on PNGs of every mode a data set holds (RGB, RGBA, LA, P, L); the inputs and Pillow's outputs
 * were written by {@code reference/scripts/pillow_convert_reference.py}.
 */
class ImageDecoderParityTest {
  private static byte[] resource(String name) throws Exception {
    try (InputStream in =
        ImageDecoderParityTest.class.getResourceAsStream("/reference/convert/" + name)) {
      return in.readAllBytes();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"rgb", "rgba", "la", "p", "l"})
  void conversionToGrayEqualsPillows(String mode) throws Exception {
    ImageDecoder.Decoded d = ImageDecoder.decode(resource(mode + ".png"), 1, mode + ".png");
    BufferedImage pillow = ImageIO.read(new ByteArrayInputStream(resource(mode + ".L.png")));
    assertEquals(BufferedImage.TYPE_BYTE_GRAY, pillow.getType());
    int[] expected =
        pillow.getRaster().getSamples(0, 0, pillow.getWidth(), pillow.getHeight(), 0, (int[]) null);
    assertEquals(12, d.height());
    assertEquals(16, d.width());
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], d.pixels()[i] & 0xFF, mode + " pixel " + i);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"rgb", "rgba", "la", "p", "l"})
  void conversionToRgbEqualsPillows(String mode) throws Exception {
    ImageDecoder.Decoded d = ImageDecoder.decode(resource(mode + ".png"), 3, mode + ".png");
    BufferedImage pillow = ImageIO.read(new ByteArrayInputStream(resource(mode + ".RGB.png")));
    assertArrayEquals(ImageFixtures.chw(pillow), d.pixels(), mode);
  }

  @Test
  void bytesThatAreNoImageAreRefusedNamingWhere() {
    String message =
        assertThrows(
                IllegalArgumentException.class,
                () -> ImageDecoder.decode(new byte[] {'G', 'I', 'F'}, 3, "x.parquet: row 2: image"))
            .getMessage();
    assertTrue(message.startsWith("x.parquet: row 2: image is not a decodable"), message);
  }
}
