package io.sparkddpm.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkddpm.io.SafeTensors;
import java.io.IOException;
import java.io.InputStream;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Parity with Pillow 13.0.0 / torchvision 0.22.1 on RGB and gray images of odd sizes, down- and
 * upscaled ({@code reference/preprocess.safetensors}, written by {@code
 * reference/scripts/preprocess_reference.py}). The 8-bit resize must be bit-exact; the float
 * outputs too (tolerance 0): {@code v / 255f} is torch's {@code ToTensor} division and the [-1, 1]
 * map is exact (see {@link PixelRange}).
 */
class PreprocessTest {
  private static SafeTensors.Contents ref;

  static List<String> cases() {
    return List.of(
        "rgb_37x53_to_32",
        "rgb_100x64_to_64",
        "rgb_20x30_to_32",
        "gray_37x53_to_32",
        "gray_53x37_to_32",
        "gray_20x30_to_32",
        "rgb_255x97_to_17");
  }

  @BeforeAll
  static void loadReference() throws IOException {
    try (InputStream in =
        PreprocessTest.class.getResourceAsStream("/reference/preprocess.safetensors")) {
      ref = SafeTensors.read(in, "reference/preprocess.safetensors");
    }
  }

  private static DecodedImage raw(String name) {
    long[] shape = ref.get(name + ".raw").shape(); // (H, W, C)
    return new DecodedImage(
        (int) shape[1], (int) shape[0], (int) shape[2], ref.get(name + ".raw").data().clone());
  }

  private static Preprocess recipe(String name, boolean center, PixelRange range) {
    return new Preprocess(ref.get(name + ".resolution").toInts()[0], center, false, range);
  }

  private static int[] unsigned(byte[] b) {
    int[] out = new int[b.length];
    for (int i = 0; i < b.length; i++) {
      out[i] = b[i] & 0xFF;
    }
    return out;
  }

  @ParameterizedTest
  @MethodSource("cases")
  void resizeEqualsTorchvisionResizeOnPilBitForBit(String name) {
    DecodedImage resized = recipe(name, true, PixelRange.ZERO_TO_ONE).resize(raw(name));
    long[] shape = ref.get(name + ".resized").shape();
    assertEquals(shape[0], resized.height(), name + " height");
    assertEquals(shape[1], resized.width(), name + " width");
    assertArrayEquals(
        ref.get(name + ".resized").toUnsignedBytes(), unsigned(resized.pixels()), name);
  }

  @ParameterizedTest
  @MethodSource("cases")
  void centerCropEqualsToTensorOfCenterCropInBothRanges(String name) {
    DecodedImage in = raw(name);
    float[] zeroOne = recipe(name, true, PixelRange.ZERO_TO_ONE).toModel(in, 123L);
    assertArrayEquals(ref.get(name + ".center").toFloats(), zeroOne, 0f, name);
    float[] pm1 = recipe(name, true, PixelRange.MINUS_ONE_TO_ONE).toModel(in, 456L);
    assertArrayEquals(ref.get(name + ".center_pm1").toFloats(), pm1, 0f, name);
  }

  @ParameterizedTest
  @MethodSource("cases")
  void cropsAtGivenOffsetsAndFlipsEqualTorchvisionCropAndHflip(String name) {
    Preprocess p = recipe(name, false, PixelRange.ZERO_TO_ONE);
    DecodedImage resized = p.resize(raw(name));
    for (int k = 0; k < 3; k++) {
      int[] at = ref.get(name + ".crop." + k + ".at").toInts();
      byte[] u8 = p.cropFlipChw(resized, new Preprocess.Augment(at[0], at[1], at[2] == 1));
      float[] actual = new float[u8.length];
      p.toModel(u8, actual, 0);
      assertArrayEquals(ref.get(name + ".crop." + k).toFloats(), actual, 0f, name + " crop " + k);
    }
  }

  @Test
  void mnistDefaultRecipeEqualsTheOld28To32Resize() {
    byte[] img = new byte[MnistImage.PIXELS];
    for (int i = 0; i < img.length; i++) {
      img[i] = (byte) (i * 37 % 256);
    }
    Preprocess p = new Preprocess(32, false, false, PixelRange.MINUS_ONE_TO_ONE);
    DecodedImage in = new DecodedImage(28, 28, 1, img);
    for (long seed = 0; seed < 5; seed++) {
      assertArrayEquals(PillowResize.resize(img), p.toU8(in, seed), "seed " + seed);
    }
  }

  @Test
  void sameRunEpochAndImageGiveTheSameCropAndFlip() {
    Preprocess p = new Preprocess(32, false, true, PixelRange.MINUS_ONE_TO_ONE);
    DecodedImage in = raw("rgb_100x64_to_64");
    long seed = Preprocess.imageSeed(7, 3, 12345);
    // A retried task or a resumed run recomputes the seed from the same three numbers.
    assertEquals(seed, Preprocess.imageSeed(7, 3, 12345));
    assertArrayEquals(p.toU8(in, seed), p.toU8(in, Preprocess.imageSeed(7, 3, 12345)));
    assertNotEquals(seed, Preprocess.imageSeed(7, 4, 12345), "another epoch");
    assertNotEquals(seed, Preprocess.imageSeed(7, 3, 12346), "another image");
    assertNotEquals(seed, Preprocess.imageSeed(8, 3, 12345), "another run seed");
  }

  @Test
  void randomCropReachesEveryOffsetAndFlipsAboutHalfTheTime() {
    Preprocess p = new Preprocess(32, false, true, PixelRange.MINUS_ONE_TO_ONE);
    int w = 45; // a 45x32 image: 14 horizontal offsets, 1 vertical
    Set<Integer> lefts = new HashSet<>();
    int flips = 0;
    int n = 4000;
    for (int i = 0; i < n; i++) {
      Preprocess.Augment a = p.augment(w, 32, Preprocess.imageSeed(1, 0, i));
      assertEquals(0, a.top());
      assertTrue(a.left() >= 0 && a.left() <= w - 32, "left " + a.left());
      lefts.add(a.left());
      flips += a.flip() ? 1 : 0;
    }
    assertEquals(w - 32 + 1, lefts.size(), "every offset drawn");
    // 4000 fair coins: mean 2000, sd 31.6; 5 sd either side.
    assertTrue(Math.abs(flips - n / 2) < 160, "flips " + flips);
  }

  @Test
  void centerCropRoundsHalfOffsetsToEvenAsPython() {
    Preprocess p = new Preprocess(32, true, false, PixelRange.MINUS_ONE_TO_ONE);
    assertEquals(6, p.augment(32, 45, 0).top(), "round(6.5) = 6");
    assertEquals(8, p.augment(49, 32, 0).left(), "round(8.5) = 8");
    assertEquals(2, p.augment(32, 37, 0).top(), "round(2.5) = 2");
    assertEquals(4, p.augment(32, 39, 0).top(), "round(3.5) = 4");
  }

  @Test
  void noFlipWithoutRandomFlipAndCenterCropIgnoresTheSeed() {
    Preprocess p = new Preprocess(17, true, false, PixelRange.MINUS_ONE_TO_ONE);
    DecodedImage in = raw("rgb_255x97_to_17");
    assertArrayEquals(p.toU8(in, 1), p.toU8(in, 2));
  }

  @Test
  void badShapesAreRefusedWithTheNumbers() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new DecodedImage(3, 2, 3, new byte[17]));
    assertTrue(e.getMessage().contains("3x2") && e.getMessage().contains("18"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new DecodedImage(3, 2, 4, new byte[24]));
    assertThrows(
        IllegalArgumentException.class,
        () -> new Preprocess(0, true, false, PixelRange.MINUS_ONE_TO_ONE));
  }
}
