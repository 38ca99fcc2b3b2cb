package io.sparkddpm.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The driver's sum of partial gradients and Adam run in parallel chunks ({@link Elementwise}); the
 * results must be bitwise those of the plain sequential loops they replaced, which this test keeps
 * as the reference. The vector spans several chunks and ends in a partial one.
 */
class ElementwiseTest {
  private static final int SIZE = 3 * Elementwise.CHUNK + 17;

  @Test
  void meanOfPartialsIsBitwiseTheSequentialSumInPartitionOrder() {
    Random r = new Random(3);
    List<GradientStep.Partial> partials =
        List.of(
            new GradientStep.Partial(random(r, 10), 1.5, 5, 0.1),
            new GradientStep.Partial(null, 0, 0, 0.05), // a task without images of the batch
            new GradientStep.Partial(random(r, 1e-3f), 2.25, 7, 0.2),
            new GradientStep.Partial(random(r, 1e4f), 0.75, 4, 0.3));
    AllReduce.Mean mean = AllReduce.mean(partials, SIZE);

    double[] sum = new double[SIZE];
    for (GradientStep.Partial p : partials) {
      if (p.count() > 0) {
        for (int i = 0; i < SIZE; i++) {
          sum[i] += p.gradSum()[i];
        }
      }
    }
    float[] expected = new float[SIZE];
    for (int i = 0; i < SIZE; i++) {
      expected[i] = (float) (sum[i] / 16);
    }
    assertArrayEquals(expected, mean.grad());
    assertEquals(4.5 / 16, mean.loss());
    assertEquals(16, mean.count());
    assertEquals(0.3, mean.computeSeconds());
  }

  /**
   * One and two partials and power-of-two counts take loops of their own; each must give bitwise
   * the general loop's result (a double sum from +0.0 in partition order, divided by the count),
   * with negative zeros, subnormals and large values among the inputs, and count non-finite values.
   */
  @ParameterizedTest
  @CsvSource({"1,8", "1,6", "2,128", "2,7", "3,64", "3,5", "4,8"})
  void everyLoopOfTheMeanIsBitwiseTheGeneralOne(int partials, int count) {
    Random r = new Random(partials * 31L + count);
    List<GradientStep.Partial> list = new ArrayList<>();
    for (int k = 0; k < partials; k++) {
      float[] g = random(r, (float) Math.pow(10, 3 * k - 3));
      g[5] = -0.0f;
      g[6] = k % 2 == 0 ? -0.0f : 0.0f;
      g[7] = Float.MIN_VALUE * (k + 1);
      g[8] = Float.MAX_VALUE / 2;
      list.add(new GradientStep.Partial(g, 1, k == partials - 1 ? count - (partials - 1) : 1, 0));
    }
    AllReduce.Mean mean = AllReduce.mean(list, SIZE);
    float[] expected = new float[SIZE];
    for (int i = 0; i < SIZE; i++) {
      double sum = 0;
      for (GradientStep.Partial p : list) {
        sum += p.gradSum()[i];
      }
      expected[i] = (float) (sum / count);
    }
    assertEquals(count, mean.count());
    for (int i = 0; i < SIZE; i++) {
      assertEquals(
          Float.floatToRawIntBits(expected[i]),
          Float.floatToRawIntBits(mean.grad()[i]),
          "element " + i + ": " + expected[i] + " against " + mean.grad()[i]);
    }
    assertTrue(mean.finite(), "finite inputs, a finite mean");
    list.get(0).gradSum()[SIZE - 1] = Float.NaN;
    assertFalse(AllReduce.mean(list, SIZE).gradFinite());
    list.get(0).gradSum()[SIZE - 1] = Float.NEGATIVE_INFINITY;
    assertFalse(AllReduce.mean(list, SIZE).finite());
  }

  /**
   * A value where summing in float and then scaling rounds twice into the subnormal range and lands
   * on the other side of a tie than the double sum: the mean must take the double path.
   */
  @Test
  void aSubnormalMeanIsRoundedOnceAsInTheGeneralLoop() {
    float a = Math.scalb(1f + 0x1p-19f, -101);
    float b = 0x1p-141f;
    int n = 1 << 30;
    float[] ga = new float[SIZE];
    float[] gb = new float[SIZE];
    ga[0] = a;
    gb[0] = b;
    List<GradientStep.Partial> list =
        List.of(new GradientStep.Partial(ga, 0, 1, 0), new GradientStep.Partial(gb, 0, n - 1, 0));
    float expected = (float) ((0.0 + a + b) / n);
    assertNotEquals(expected, (a + b) * (1f / n), "the case must tell the two roundings apart");
    assertEquals(
        Float.floatToRawIntBits(expected),
        Float.floatToRawIntBits(AllReduce.mean(list, SIZE).grad()[0]));
  }

  @Test
  void adamIsBitwiseTheSequentialUpdate() {
    Random r = new Random(4);
    float[] params = random(r, 1);
    float[] reference = params.clone();
    float[] m = new float[SIZE];
    float[] v = new float[SIZE];
    Adam adam = new Adam(SIZE);
    for (int step = 1; step <= 3; step++) {
      float[] grad = random(r, step * 0.1f);
      adam.update(params, grad, 1e-3);
      sequentialAdam(reference, m, v, grad, 1e-3, step);
      assertArrayEquals(reference, params, "params after step " + step);
      assertArrayEquals(m, adam.m(), "m after step " + step);
      assertArrayEquals(v, adam.v(), "v after step " + step);
    }
  }

  /** Adam's update as one sequential loop (torch's float32 op order, see {@link Adam}). */
  private static void sequentialAdam(
      float[] params, float[] m, float[] v, float[] grad, double lr, long step) {
    float bias2Sqrt = (float) Math.sqrt(1 - Math.pow(Adam.BETA2, step));
    float stepSize = (float) (lr / (1 - Math.pow(Adam.BETA1, step)));
    for (int i = 0; i < params.length; i++) {
      float g = grad[i];
      m[i] = Math.fma((float) (1 - Adam.BETA1), g - m[i], m[i]);
      v[i] = Math.fma((float) (1 - Adam.BETA2) * g, g, v[i] * (float) Adam.BETA2);
      float denom = (float) Math.sqrt(v[i]) / bias2Sqrt + (float) Adam.EPS;
      params[i] += -stepSize * m[i] / denom;
    }
  }

  private static float[] random(Random r, float scale) {
    float[] a = new float[SIZE];
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) r.nextGaussian() * scale;
    }
    return a;
  }
}
