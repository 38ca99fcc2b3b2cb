package io.sparkddpm.data;

import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import javax.imageio.ImageIO;

/**
 * Decodes PNG and JPEG bytes with {@code javax.imageio} and converts the pixels to the model's
 * channels as Pillow's {@code convert("L")} and {@code convert("RGB")} do.
 *
 * <p>Pillow's rules, reproduced here: RGB to L is {@code (R*19595 + G*38470 + B*7471 + 0x8000) >>
 * 16} (ITU-R 601-2 luma, {@code L = R*299/1000 + G*587/1000 + B*114/1000} in 16-bit fixed point); L
 * to RGB repeats the value; an alpha channel is dropped, not composited; a palette image is looked
 * up in its palette first. Images whose samples are not 8 bits (16-bit PNGs, CMYK JPEGs) have no
 * such rule here and are refused.
 */
public final class ImageDecoder {
  private ImageDecoder() {}

  /**
   * The pixels of an encoded image in {@code channels} channels.
   *
   * @param bytes PNG or JPEG bytes
   * @param channels 1 (L) or 3 (RGB)
   * @param where names the image in messages ("file: row 3: image.bytes")
   * @return (channels, height, width) unsigned bytes, with the image's size
   * @throws IllegalArgumentException naming {@code where} when the bytes do not decode or the image
   *     has no conversion rule to {@code channels}
   */
  public static Decoded decode(byte[] bytes, int channels, String where) {
    BufferedImage img;
    try {
      ImageIO.setUseCache(false); // decode in memory, no temp files on the executor
      img = ImageIO.read(new ByteArrayInputStream(bytes));
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException(
          where + " is not a decodable PNG or JPEG image (" + e.getMessage() + ")", e);
    }
    if (img == null) {
      throw new IllegalArgumentException(where + " is not a decodable PNG or JPEG image");
    }
    return new Decoded(img.getHeight(), img.getWidth(), convert(img, channels, where));
  }

  /** A decoded image: its size and its (channels, height, width) pixels. */
  public record Decoded(int height, int width, byte[] pixels) {}

  private static byte[] convert(BufferedImage img, int channels, String where) {
    if (channels != 1 && channels != 3) {
      throw new IllegalArgumentException("channels must be 1 or 3, got " + channels);
    }
    ColorModel cm = img.getColorModel();
    Raster raster = img.getRaster();
    int bands = raster.getNumBands();
    for (int b = 0; b < bands; b++) {
      if (raster.getSampleModel().getSampleSize(b) != 8 && !(cm instanceof IndexColorModel)) {
        throw new IllegalArgumentException(
            where
                + " has "
                + raster.getSampleModel().getSampleSize(b)
                + "-bit samples; only 8-bit images convert to "
                + (channels == 1 ? "L" : "RGB"));
      }
    }
    int h = img.getHeight();
    int w = img.getWidth();
    int plane = h * w;
    byte[] out = new byte[channels * plane];
    int[] rgb = new int[3];
    int colour = cm.getNumColorComponents();
    if (!(cm instanceof IndexColorModel) && colour != 1 && colour != 3) {
      throw new IllegalArgumentException(
          where
              + " has "
              + colour
              + " colour channels ("
              + cm.getColorSpace().getType()
              + " colour space); only gray, RGB, their alpha forms and palette images convert");
    }
    int[] px = new int[bands];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        if (cm instanceof IndexColorModel icm) {
          int i = raster.getSample(x, y, 0);
          rgb[0] = icm.getRed(i);
          rgb[1] = icm.getGreen(i);
          rgb[2] = icm.getBlue(i);
        } else {
          raster.getPixel(x, y, px);
          if (colour == 1) {
            rgb[0] = rgb[1] = rgb[2] = px[0]; // gray (alpha, if any, is px[1] and dropped)
          } else {
            rgb[0] = px[0];
            rgb[1] = px[1];
            rgb[2] = px[2];
          }
        }
        int p = y * w + x;
        if (channels == 3) {
          out[p] = (byte) rgb[0];
          out[plane + p] = (byte) rgb[1];
          out[2 * plane + p] = (byte) rgb[2];
        } else if (colour == 1 && !(cm instanceof IndexColorModel)) {
          out[p] = (byte) rgb[0];
        } else {
          out[p] = (byte) luma(rgb[0], rgb[1], rgb[2]);
        }
      }
    }
    return out;
  }

  /** Pillow's {@code convert("L")} of one RGB pixel. */
  public static int luma(int r, int g, int b) {
    return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;
  }
}
