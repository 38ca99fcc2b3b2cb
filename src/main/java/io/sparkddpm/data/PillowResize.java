package io.sparkddpm.data;

/**
 * Pillow's 8-bit BILINEAR resize of a 28x28 grayscale image to 32x32, bit for bit.
 *
 * <p>The training recipe resizes MNIST with torchvision's {@code Resize((32, 32))}, which on a PIL
 * image is {@code img.resize((32, 32), Image.BILINEAR)}. Reproducing Pillow's fixed-point
 * arithmetic exactly (not just "a bilinear filter") keeps the training data identical to the Python
 * recipe's, checked against Pillow's output in the tests.
 *
 * <p>The algorithm (Pillow's {@code Resample.c}, re-derived from its description): weights are
 * computed in double with a triangle filter of support 1 (upsampling, so no widening), normalised
 * per output pixel, and quantised to 22 fractional bits; a horizontal pass whose result is rounded
 * and clamped to 8 bits is followed by a vertical pass with the same weights.
 */
public final class PillowResize {
  /** Input side. */
  public static final int IN = MnistImage.SIDE;

  /** Output side. */
  public static final int OUT = 32;

  private static final int PRECISION_BITS = 22;
  private static final int HALF = 1 << (PRECISION_BITS - 1);

  /** Fixed-point weights, (OUT, IN); row o is zero outside [FIRST[o], FIRST[o] + COUNT[o]). */
  private static final int[][] K = new int[OUT][IN];

  private static final int[] FIRST = new int[OUT];
  private static final int[] COUNT = new int[OUT];

  static {
    double scale = (double) IN / OUT;
    double support = 1.0; // bilinear support 1 times filter scale max(scale, 1) = 1
    for (int o = 0; o < OUT; o++) {
      double center = (o + 0.5) * scale;
      // (int) truncates toward zero like C's cast; both bounds are >= 0 here after the max.
      int xmin = Math.max((int) (center - support + 0.5), 0);
      int xmax = Math.min((int) (center + support + 0.5), IN);
      double[] w = new double[xmax - xmin];
      double sum = 0;
      for (int i = 0; i < w.length; i++) {
        w[i] = Math.max(0.0, 1.0 - Math.abs(xmin + i - center + 0.5));
        sum += w[i];
      }
      for (int i = 0; i < w.length; i++) {
        double normalised = sum != 0 ? w[i] / sum : w[i];
        K[o][xmin + i] = (int) (0.5 + normalised * (1 << PRECISION_BITS));
      }
      FIRST[o] = xmin;
      COUNT[o] = w.length;
    }
  }

  private PillowResize() {}

  /** A copy of the fixed-point weight matrix, (32, 28); each row sums to 2^22. */
  public static int[][] coefficients() {
    int[][] copy = new int[OUT][];
    for (int o = 0; o < OUT; o++) {
      copy[o] = K[o].clone();
    }
    return copy;
  }

  /** Resizes 28x28 row-major unsigned bytes to a new 32x32 row-major array. */
  public static byte[] resize(byte[] src) {
    byte[] dst = new byte[OUT * OUT];
    resize(src, dst);
    return dst;
  }

  /** Resizes 28x28 row-major unsigned bytes into {@code dst} (32x32 row-major). */
  public static void resize(byte[] src, byte[] dst) {
    if (src.length != IN * IN || dst.length != OUT * OUT) {
      throw new IllegalArgumentException(
          "expected 28x28 input and 32x32 output, got " + src.length + " and " + dst.length);
    }
    // Pillow stores the intermediate image in 8 bits, so the horizontal result is clamped and
    // rounded before the vertical pass; keeping it in ints would change some pixels.
    int[] tmp = new int[IN * OUT]; // (28 rows, 32 cols)
    for (int y = 0; y < IN; y++) {
      for (int o = 0; o < OUT; o++) {
        long acc = HALF;
        for (int x = FIRST[o], end = FIRST[o] + COUNT[o]; x < end; x++) {
          acc += (long) (src[y * IN + x] & 0xFF) * K[o][x];
        }
        tmp[y * OUT + o] = clip8(acc);
      }
    }
    for (int o = 0; o < OUT; o++) {
      for (int x = 0; x < OUT; x++) {
        long acc = HALF;
        for (int y = FIRST[o], end = FIRST[o] + COUNT[o]; y < end; y++) {
          acc += (long) tmp[y * OUT + x] * K[o][y];
        }
        dst[o * OUT + x] = (byte) clip8(acc);
      }
    }
  }

  private static int clip8(long acc) {
    long v = acc >> PRECISION_BITS;
    return (int) Math.max(0, Math.min(255, v));
  }
}
