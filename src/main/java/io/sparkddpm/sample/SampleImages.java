package io.sparkddpm.sample;

import io.sparkddpm.data.PixelRange;
import java.util.ArrayList;
import java.util.List;

/** Model-range float images back to 8-bit pixels (clamped), one byte array per image. */
public final class SampleImages {
  private SampleImages() {}

  /** Splits (B, C*S*S) floats into B images of 0..255 pixels, mapping back from {@code range}. */
  public static List<byte[]> toU8(float[] images, int count, PixelRange range) {
    int pixels = images.length / count;
    List<byte[]> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      byte[] img = new byte[pixels];
      for (int p = 0; p < pixels; p++) {
        img[p] = (byte) range.toU8(images[i * pixels + p]);
      }
      out.add(img);
    }
    return out;
  }
}
