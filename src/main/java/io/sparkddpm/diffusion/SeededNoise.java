package io.sparkddpm.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Standard normal noise that is a pure function of a 64-bit seed, and seeds derived from a parent
 * seed and two integers (step and shard, image and step, ...). The same seed gives the same floats
 * on every JVM, CPU, device and Spark partitioning, so a retried task redraws exactly its noise.
 *
 * <p>Algorithm, chosen to be bit-reproducible and simple to port:
 *
 * <ul>
 *   <li>Uniform source: SplitMix64 (Steele, Lea and Flood 2014) started at the seed, the stream of
 *       {@code new java.util.SplittableRandom(seed).nextLong()}. 53 bits of each long make a double
 *       in [−1, 1).
 *   <li>Gaussian transform: Marsaglia's polar method on pairs (u, v): reject unless 0 < s = u² + v²
 *       < 1, then emit u·f and v·f with f = sqrt(−2 ln s / s), in double, rounded to float. {@code
 *       StrictMath.log} is fdlibm's, identical everywhere; the JDK's own {@code nextGaussian} (a
 *       ziggurat since JDK 17) calls {@code Math.exp}, which may differ by an ulp between JVMs and
 *       CPU intrinsics, and its algorithm has changed between JDK releases.
 * </ul>
 *
 * <p>This is not torch's generator: noise drawn here does not equal {@code torch.randn} for the
 * same seed. Parity tests feed diffusers' stored noise instead.
 */
public final class SeededNoise {

  /** SplitMix64's increment, 2^64 / φ rounded to odd. */
  private static final long GOLDEN_GAMMA = 0x9e3779b97f4a7c15L;

  /** Separates derived seeds from the raw stream of the same number. */
  private static final long DERIVE_DOMAIN = 0x243f6a8885a308d3L;

  private SeededNoise() {}

  /** {@code n} standard normal floats from {@code seed}. */
  public static float[] standardNormal(long seed, int n) {
    float[] out = new float[n];
    fill(seed, out, 0, n);
    return out;
  }

  /**
   * Writes the first {@code length} values of {@code seed}'s stream to {@code out[offset..]}, so a
   * batch buffer is filled image by image without copies.
   */
  public static void fill(long seed, float[] out, int offset, int length) {
    if (offset < 0 || length < 0 || offset + length > out.length) {
      throw new IndexOutOfBoundsException(
          "offset " + offset + " + length " + length + " exceeds " + out.length);
    }
    long state = seed;
    int i = 0;
    while (i < length) {
      state += GOLDEN_GAMMA;
      double u = uniformSigned(mix64(state));
      state += GOLDEN_GAMMA;
      double v = uniformSigned(mix64(state));
      double s = u * u + v * v;
      if (s >= 1 || s == 0) {
        continue; // outside the unit disc: the polar method's rejection (21% of pairs)
      }
      double f = StrictMath.sqrt(-2 * StrictMath.log(s) / s);
      out[offset + i++] = (float) (u * f);
      if (i < length) {
        out[offset + i++] = (float) (v * f);
      }
    }
  }

  /**
   * A batch (B, ...) whose row i is {@code seeds[i]}'s noise: a sample's noise depends on its own
   * seed only, not on which batch or partition it lands in.
   */
  public static NDArray standardNormal(NDManager manager, long[] seeds, Shape shape) {
    if (shape.dimension() == 0 || shape.get(0) != seeds.length) {
      throw new IllegalArgumentException(
          "shape " + shape + " must have one row per seed (" + seeds.length + ")");
    }
    int perRow = Math.toIntExact(shape.size() / seeds.length);
    float[] values = new float[Math.multiplyExact(perRow, seeds.length)];
    for (int i = 0; i < seeds.length; i++) {
      fill(seeds[i], values, i * perRow, perRow);
    }
    return manager.create(values, shape);
  }

  /**
   * A child seed for (parent, a, b), e.g. (run seed, step, shard) or (run seed, image, step): each
   * input passes through the SplitMix64 finalizer in turn, so nearby inputs give unrelated children
   * and swapping a and b gives a different child.
   */
  public static long derive(long seed, long a, long b) {
    long h = mix64(seed ^ DERIVE_DOMAIN);
    h = mix64(h + a * GOLDEN_GAMMA);
    return mix64(h + b * GOLDEN_GAMMA);
  }

  /** SplitMix64's finalizer (Stafford's variant 13), a bijection of 64-bit values. */
  static long mix64(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  private static double uniformSigned(long bits) {
    return (bits >>> 11) * 0x1.0p-52 - 1.0; // 53 bits: k / 2^52 − 1 in [−1, 1)
  }
}
