package io.sparkddpm.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SeededNoiseTest {

  @Test
  void sameSeedGivesTheSameValuesAndDifferentSeedsDiffer() {
    assertArrayEquals(
        SeededNoise.standardNormal(123, 1000), SeededNoise.standardNormal(123, 1000), 0f);
    assertTrue(
        !Arrays.equals(
            SeededNoise.standardNormal(123, 1000), SeededNoise.standardNormal(124, 1000)));
  }

  @Test
  void aShorterDrawIsAPrefixOfALongerOne() {
    float[] longer = SeededNoise.standardNormal(9, 101);
    assertArrayEquals(Arrays.copyOf(longer, 7), SeededNoise.standardNormal(9, 7), 0f);
    float[] buffer = new float[20];
    SeededNoise.fill(9, buffer, 5, 10);
    assertArrayEquals(Arrays.copyOf(longer, 10), Arrays.copyOfRange(buffer, 5, 15), 0f);
  }

  @Test
  void uniformSourceIsSplittableRandomAndTheTransformIsThePolarMethod() {
    long seed = 2024;
    SplittableRandom r = new SplittableRandom(seed);
    double u;
    double v;
    double s;
    do {
      u = (r.nextLong() >>> 11) * 0x1.0p-52 - 1;
      v = (r.nextLong() >>> 11) * 0x1.0p-52 - 1;
      s = u * u + v * v;
    } while (s >= 1 || s == 0);
    double f = StrictMath.sqrt(-2 * StrictMath.log(s) / s);
    float[] first = SeededNoise.standardNormal(seed, 2);
    assertEquals((float) (u * f), first[0]);
    assertEquals((float) (v * f), first[1]);
  }

  @Test
  void hundredThousandDrawsHaveMeanZeroAndStdOne() {
    int n = 100_000;
    float[] z = SeededNoise.standardNormal(7, n);
    double sum = 0;
    double sumSq = 0;
    for (float x : z) {
      sum += x;
      sumSq += (double) x * x;
    }
    double mean = sum / n;
    double std = Math.sqrt(sumSq / n - mean * mean);
    System.out.printf("SeededNoise 100k draws: mean %.5f, std %.5f%n", mean, std);
    // Standard errors: 1/sqrt(n) = 0.0032 for the mean, 1/sqrt(2n) = 0.0022 for the std.
    assertEquals(0, mean, 0.01, "mean (3 standard errors)");
    assertEquals(1, std, 0.01, "std (4.5 standard errors)");
  }

  @Test
  void batchRowsDependOnlyOnTheirOwnSeed() {
    try (NDManager m = NDManager.newBaseManager()) {
      float[] pair =
          SeededNoise.standardNormal(m, new long[] {11, 12}, new Shape(2, 1, 4, 4)).toFloatArray();
      float[] alone =
          SeededNoise.standardNormal(m, new long[] {12}, new Shape(1, 1, 4, 4)).toFloatArray();
      assertArrayEquals(alone, Arrays.copyOfRange(pair, 16, 32), 0f);
      assertArrayEquals(SeededNoise.standardNormal(11, 16), Arrays.copyOf(pair, 16), 0f);
    }
  }

  @Test
  void derivedSeedsAreDeterministicAndDistinct() {
    assertEquals(SeededNoise.derive(1, 2, 3), SeededNoise.derive(1, 2, 3));
    assertNotEquals(SeededNoise.derive(1, 2, 3), SeededNoise.derive(1, 3, 2));
    assertNotEquals(SeededNoise.derive(1, 2, 3), SeededNoise.derive(2, 2, 3));
    Set<Long> seen = new HashSet<>();
    for (long a = 0; a < 300; a++) {
      for (long b = 0; b < 300; b++) {
        seen.add(SeededNoise.derive(42, a, b));
      }
    }
    assertEquals(300 * 300, seen.size());
  }
}
