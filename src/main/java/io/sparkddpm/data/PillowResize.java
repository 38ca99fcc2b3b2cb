package io.sparkddpm.data;

/**
 * Pillow's 8-bit BILINEAR resize, bit for bit, for any size and 1 or 3 channels.
 *
 * <p>The training recipe resizes with torchvision's {@code Resize}, which on a PIL image is {@code
 * img.resize((w, h), Image.BILINEAR)}. Reproducing Pillow's fixed-point arithmetic exactly (not
 * just "a bilinear filter") keeps the training data identical to the Python recipe's, checked
 * against Pillow's output in the tests (MNIST 28->32, and RGB and gray images of odd sizes, up and
 * down).
 *
 * <p>The algorithm (Pillow's {@code Resample.c}, re-derived from its description): per axis, a
 * triangle filter whose support is widened by the scale when downsampling (Pillow's antialiasing),
 * weights computed in double, normalised per output pixel and quantised to 22 fractional bits; a
 * horizontal pass whose result is rounded and clamped to 8 bits is followed by a vertical pass. An
 * axis whose size does not change is not resampled at all, as in Pillow.
 */
public final class PillowResize {
  /** Input side of the MNIST resize. */
  public static final int IN = MnistImage.SIDE;

  /** Output side of the MNIST resize. */
  public static final int OUT = 32;

  private static final int PRECISION_BITS = 22;
  private static final int HALF = 1 << (PRECISION_BITS - 1);

  private static final Weights MNIST = Weights.of(IN, OUT);

  private PillowResize() {}

  /**
   * Fixed-point weights of one axis: output pixel o reads inputs {@code first[o] ..
   * first[o]+k[o].length}.
   */
  private record Weights(int[] first, int[][] k) {
    static Weights of(int in, int out) {
      double scale = (double) in / out;
      double filterScale = Math.max(scale, 1.0);
      double support = 1.0 * filterScale; // bilinear's support is 1
      double ss = 1.0 / filterScale; // multiplied, not divided, as Pillow does (rounding)
      int[] first = new int[out];
      int[][] k = new int[out][];
      for (int o = 0; o < out; o++) {
        double center = (o + 0.5) * scale;
        // (int) truncates toward zero like C's cast; both bounds are clamped to the image.
        int xmin = Math.max((int) (center - support + 0.5), 0);
        int xmax = Math.min((int) (center + support + 0.5), in);
        double[] w = new double[xmax - xmin];
        double sum = 0;
        for (int i = 0; i < w.length; i++) {
          w[i] = Math.max(0.0, 1.0 - Math.abs((xmin + i - center + 0.5) * ss));
          sum += w[i];
        }
        k[o] = new int[w.length];
        for (int i = 0; i < w.length; i++) {
          double normalised = sum != 0 ? w[i] / sum : w[i];
          k[o][i] = (int) (0.5 + normalised * (1 << PRECISION_BITS));
        }
        first[o] = xmin;
      }
      return new Weights(first, k);
    }
  }

  /** A copy of the MNIST fixed-point weight matrix, (32, 28); each row sums to 2^22. */
  public static int[][] coefficients() {
    int[][] dense = new int[OUT][IN];
    for (int o = 0; o < OUT; o++) {
      System.arraycopy(MNIST.k[o], 0, dense[o], MNIST.first[o], MNIST.k[o].length);
    }
    return dense;
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
    byte[] tmp = new byte[IN * OUT];
    horizontal(src, IN, IN, 1, MNIST, tmp, OUT);
    vertical(tmp, OUT, 1, MNIST, dst, OUT);
  }

  /** {@code image} resized to {@code width x height}, same channels, as Pillow's BILINEAR. */
  public static DecodedImage resize(DecodedImage image, int width, int height) {
    if (width < 1 || height < 1) {
      throw new IllegalArgumentException(
          "output size must be at least 1x1, got " + width + "x" + height);
    }
    int c = image.channels();
    byte[] cur = image.pixels();
    int curW = image.width();
    // Pillow stores the intermediate image in 8 bits, so the horizontal result is clamped and
    // rounded before the vertical pass; keeping it in ints would change some pixels.
    if (width != curW) {
      byte[] next = new byte[image.height() * width * c];
      horizontal(cur, curW, image.height(), c, Weights.of(curW, width), next, width);
      cur = next;
      curW = width;
    }
    if (height != image.height()) {
      byte[] next = new byte[height * curW * c];
      vertical(cur, curW, c, Weights.of(image.height(), height), next, height);
      cur = next;
    }
    return new DecodedImage(width, height, c, cur == image.pixels() ? cur.clone() : cur);
  }

  // (rows, inW, c) -> (rows, outW, c)
  private static void horizontal(
      byte[] src, int inW, int rows, int c, Weights w, byte[] dst, int outW) {
    for (int y = 0; y < rows; y++) {
      for (int o = 0; o < outW; o++) {
        int[] k = w.k[o];
        int base = (y * inW + w.first[o]) * c;
        for (int ch = 0; ch < c; ch++) {
          long acc = HALF;
          for (int i = 0; i < k.length; i++) {
            acc += (long) (src[base + i * c + ch] & 0xFF) * k[i];
          }
          dst[(y * outW + o) * c + ch] = (byte) clip8(acc);
        }
      }
    }
  }

  // (inH, cols, c) -> (outH, cols, c)
  private static void vertical(byte[] src, int cols, int c, Weights w, byte[] dst, int outH) {
    int rowLen = cols * c;
    for (int o = 0; o < outH; o++) {
      int[] k = w.k[o];
      int first = w.first[o];
      for (int j = 0; j < rowLen; j++) {
        long acc = HALF;
        for (int i = 0; i < k.length; i++) {
          acc += (long) (src[(first + i) * rowLen + j] & 0xFF) * k[i];
        }
        dst[o * rowLen + j] = (byte) clip8(acc);
      }
    }
  }

  private static int clip8(long acc) {
    long v = acc >> PRECISION_BITS;
    return (int) Math.max(0, Math.min(255, v));
  }
}
