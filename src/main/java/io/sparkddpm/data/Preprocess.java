package io.sparkddpm.data;

import java.io.Serializable;
import java.util.SplittableRandom;

/**
 * diffusers' training preprocessing as a pure function: {@code Resize(N, BILINEAR)}, {@code
 * CenterCrop(N)} or {@code RandomCrop(N)}, optionally {@code RandomHorizontalFlip()}, {@code
 * ToTensor()} and, for [-1, 1], {@code Normalize([0.5], [0.5])} (the transforms of {@code
 * train_unconditional.py}).
 *
 * <p>The resize is Pillow-exact ({@link PillowResize}); the output size follows torchvision's rule
 * for an int size (shorter side to N, longer side {@code int(N * long / short)}); the center crop
 * rounds its offsets as torchvision does ({@code int(round((h - N) / 2.0))}, Python's round half to
 * even). Random crop offsets (uniform over all positions, as {@code RandomCrop}) and flips (p =
 * 0.5) are drawn from a seed of (run seed, epoch, image index), so a retried task and a resumed run
 * see the same pixels; they are not torch's random numbers.
 *
 * @param resolution output side N
 * @param centerCrop center crop (else random crop) after the resize
 * @param randomFlip flip horizontally with probability 0.5
 * @param range the float range the model sees
 */
public record Preprocess(int resolution, boolean centerCrop, boolean randomFlip, PixelRange range)
    implements Serializable {

  private static final long DOMAIN = 0x5f3759df_c0ffee01L; // separates these seeds from others
  private static final long GOLDEN_GAMMA = 0x9e3779b97f4a7c15L;

  /** Validates the resolution and range. */
  public Preprocess {
    if (resolution < 1) {
      throw new IllegalArgumentException("resolution must be >= 1, got " + resolution);
    }
    if (range == null) {
      throw new IllegalArgumentException("pixel range must be given");
    }
  }

  /** Where the crop starts and whether the image is flipped. */
  public record Augment(int top, int left, boolean flip) {}

  /**
   * The seed of image {@code index}'s crop and flip in {@code epoch} of a run with {@code runSeed}.
   */
  public static long imageSeed(long runSeed, long epoch, long index) {
    long h = new SplittableRandom(runSeed ^ DOMAIN).nextLong();
    h = new SplittableRandom(h + epoch * GOLDEN_GAMMA).nextLong();
    return new SplittableRandom(h + index * GOLDEN_GAMMA).nextLong();
  }

  /** torchvision's {@code Resize(N)} output size (width, height) for a {@code w x h} image. */
  public int[] resizedSize(int w, int h) {
    int shortSide = Math.min(w, h);
    int longSide = Math.max(w, h);
    // Python's int(N * long / short): true division in double, truncated.
    int newLong = (int) ((double) resolution * longSide / shortSide);
    return w <= h ? new int[] {resolution, newLong} : new int[] {newLong, resolution};
  }

  /** The crop and flip of a resized {@code w x h} image for {@code imageSeed}. */
  public Augment augment(int w, int h, long imageSeed) {
    SplittableRandom rng = new SplittableRandom(imageSeed);
    int top;
    int left;
    if (centerCrop) {
      top = (int) Math.rint((h - resolution) / 2.0); // rint rounds half to even, like Python
      left = (int) Math.rint((w - resolution) / 2.0);
    } else {
      top = rng.nextInt(h - resolution + 1);
      left = rng.nextInt(w - resolution + 1);
    }
    boolean flip = randomFlip && rng.nextDouble() < 0.5;
    return new Augment(top, left, flip);
  }

  /** Stage 1, a function of the image only (cacheable): the Pillow-exact resize. */
  public DecodedImage resize(DecodedImage image) {
    int[] size = resizedSize(image.width(), image.height());
    return PillowResize.resize(image, size[0], size[1]);
  }

  /** Stage 2: crop {@code a} of a resized image, then flip; (C, N, N) unsigned bytes. */
  public byte[] cropFlipChw(DecodedImage resized, Augment a) {
    int n = resolution;
    int c = resized.channels();
    if (a.top < 0 || a.left < 0 || a.top + n > resized.height() || a.left + n > resized.width()) {
      throw new IllegalArgumentException(
          "crop " + n + "x" + n + " at (" + a.top + ", " + a.left + ") exceeds " + resized);
    }
    byte[] src = resized.pixels();
    byte[] out = new byte[c * n * n];
    for (int ch = 0; ch < c; ch++) {
      for (int y = 0; y < n; y++) {
        for (int x = 0; x < n; x++) {
          int sx = a.left + (a.flip ? n - 1 - x : x);
          out[(ch * n + y) * n + x] = src[((a.top + y) * resized.width() + sx) * c + ch];
        }
      }
    }
    return out;
  }

  /** The whole pipeline in 8 bits: (C, N, N) unsigned bytes of {@code image} for a seed. */
  public byte[] toU8(DecodedImage image, long imageSeed) {
    DecodedImage resized = resize(image);
    return cropFlipChw(resized, augment(resized.width(), resized.height(), imageSeed));
  }

  /** The model input (C, N, N) of {@code image}: {@link #toU8} mapped by {@link #range}. */
  public float[] toModel(DecodedImage image, long imageSeed) {
    byte[] u8 = toU8(image, imageSeed);
    float[] out = new float[u8.length];
    toModel(u8, out, 0);
    return out;
  }

  /** Writes {@code u8} mapped by {@link #range} to {@code out[offset ..]}. */
  public void toModel(byte[] u8, float[] out, int offset) {
    for (int i = 0; i < u8.length; i++) {
      out[offset + i] = range.toModel(u8[i] & 0xFF);
    }
  }
}
