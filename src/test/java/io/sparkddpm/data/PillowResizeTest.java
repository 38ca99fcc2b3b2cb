package io.sparkddpm.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.sparkddpm.io.SafeTensors;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Parity with Pillow 12.3.0 on the first 16 MNIST training images. The fixture is a copy of the
 * shared reference {@code mnist_resize.safetensors} (produced with Pillow and torchvision; see the
 * reference README).
 */
class PillowResizeTest {
  private static final int N = 16;
  private static SafeTensors.Contents ref;

  @BeforeAll
  static void loadReference() throws IOException {
    try (InputStream in =
        PillowResizeTest.class.getResourceAsStream("/reference/mnist_resize.safetensors")) {
      ref = SafeTensors.read(in, "reference/mnist_resize.safetensors");
    }
  }

  static byte[] rawImage(int i) {
    int[] raw = ref.get("raw").toUnsignedBytes();
    byte[] img = new byte[MnistImage.PIXELS];
    for (int k = 0; k < img.length; k++) {
      img[k] = (byte) raw[i * MnistImage.PIXELS + k];
    }
    return img;
  }

  @Test
  void resizeEqualsPillowBilinearOnAllSixteenReferenceImages() {
    int[] expected = ref.get("resized_uint8").toUnsignedBytes();
    for (int i = 0; i < N; i++) {
      byte[] out = PillowResize.resize(rawImage(i));
      int[] actual = new int[out.length];
      for (int k = 0; k < out.length; k++) {
        actual[k] = out[k] & 0xFF;
      }
      assertArrayEquals(
          Arrays.copyOfRange(expected, i * 1024, (i + 1) * 1024), actual, "image " + i);
    }
  }

  @Test
  void coefficientsEqualPillowFixedPointWeights() {
    int[] expected = ref.get("pil_coeffs_q22").toInts();
    int[][] k = PillowResize.coefficients();
    for (int o = 0; o < PillowResize.OUT; o++) {
      assertArrayEquals(Arrays.copyOfRange(expected, o * 28, (o + 1) * 28), k[o], "row " + o);
      assertEquals(1 << 22, Arrays.stream(k[o]).sum(), "row " + o + " sums to 2^22");
    }
  }

  @Test
  void zeroToOneModelInputEqualsTorchvisionResizeThenToTensor() {
    float[] expected = ref.get("resized_0_1").toFloats();
    long[] labels = ref.get("labels").toLongs();
    for (int i = 0; i < N; i++) {
      MnistImage image = new MnistImage(i, (int) labels[i], rawImage(i));
      float[] actual = MnistSource.toModelInput(image, PixelRange.ZERO_TO_ONE);
      assertArrayEquals(
          Arrays.copyOfRange(expected, i * 1024, (i + 1) * 1024), actual, 0f, "image " + i);
    }
  }

  @Test
  void minusOneToOneModelInputIsTorchvisionNormalizeHalfHalf() {
    float[] zeroToOne = ref.get("resized_0_1").toFloats();
    float[] buffer = new float[2 * 1024];
    MnistImage image = new MnistImage(0, 5, rawImage(0));
    MnistSource.toModelInput(image, PixelRange.MINUS_ONE_TO_ONE, buffer, 1024);
    for (int k = 0; k < 1024; k++) {
      // torchvision Normalize([0.5], [0.5]) in float32: (x - 0.5) / 0.5
      float expected = (zeroToOne[k] - 0.5f) / 0.5f;
      assertEquals(expected, buffer[1024 + k], 0f, "pixel " + k);
    }
  }
}
