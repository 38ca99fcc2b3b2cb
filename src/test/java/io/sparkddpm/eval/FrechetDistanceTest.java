package io.sparkddpm.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.Test;

class FrechetDistanceTest {
  /**
   * Two 2x2 covariances that do not commute. For 2x2 positive definite matrices, the eigenvalues of
   * S1 S2 are those of a symmetric PD matrix M, and for such M, Tr M^½ = sqrt(Tr M + 2 sqrt(det M))
   * (the square root's eigenvalues a, b satisfy (a + b)² = a² + b² + 2ab). So d² = |Δμ|² + Tr S1 +
   * Tr S2 - 2 sqrt(Tr(S1 S2) + 2 sqrt(det S1 det S2)).
   */
  @Test
  void nonCommutingTwoByTwoMatchesTheClosedForm() {
    double[] mu1 = {1.0, -2.0};
    double[] mu2 = {0.5, 0.25};
    double[][] s1 = {{2.0, 0.6}, {0.6, 1.0}};
    double[][] s2 = {{0.5, -0.3}, {-0.3, 3.0}};
    double trS1S2 =
        s1[0][0] * s2[0][0] + s1[0][1] * s2[1][0] + s1[1][0] * s2[0][1] + s1[1][1] * s2[1][1];
    double det1 = s1[0][0] * s1[1][1] - s1[0][1] * s1[1][0];
    double det2 = s2[0][0] * s2[1][1] - s2[0][1] * s2[1][0];
    double expected =
        0.25 + 2.25 * 2.25 + (3.0) + (3.5) - 2 * Math.sqrt(trS1S2 + 2 * Math.sqrt(det1 * det2));

    double d2 = FrechetDistance.between(mu1, s1, mu2, s2);

    assertEquals(expected, d2, 1e-12);
    assertEquals(
        d2, FrechetDistance.between(mu2, s2, mu1, s1), 1e-12, "symmetric in its Gaussians");
  }

  /** Covariances sharing an eigenbasis R: d² = |Δμ|² + Σ (sqrt a_i - sqrt b_i)². */
  @Test
  void sharedEigenbasisInEightyFourDimensionsMatchesTheClosedForm() {
    int d = 84;
    Random random = new Random(7);
    double[][] r = randomRotation(d, random);
    double[] a = new double[d];
    double[] b = new double[d];
    double[] mu1 = new double[d];
    double[] mu2 = new double[d];
    double expected = 0;
    for (int i = 0; i < d; i++) {
      a[i] = 0.1 + 5 * random.nextDouble();
      b[i] = i % 10 == 0 ? 0 : 0.1 + 5 * random.nextDouble(); // singular S2, as dead ReLUs give
      mu1[i] = random.nextGaussian();
      mu2[i] = random.nextGaussian();
      double sa = Math.sqrt(a[i]) - Math.sqrt(b[i]);
      expected += (mu1[i] - mu2[i]) * (mu1[i] - mu2[i]) + sa * sa;
    }

    double d2 = FrechetDistance.between(mu1, rotate(r, a), mu2, rotate(r, b));

    assertEquals(expected, d2, 1e-9 * expected);
    assertEquals(0, FrechetDistance.between(mu1, rotate(r, a), mu1, rotate(r, a)), 1e-9);
  }

  /** The driver's path: sums and Gram matrices of samples, then mean and covariance. */
  @Test
  void statisticsFromSamplesConvergeToTheGaussiansDistance() {
    double[] mu1 = {1.0, -2.0};
    double[] mu2 = {0.5, 0.25};
    double[][] s1 = {{2.0, 0.6}, {0.6, 1.0}};
    double[][] s2 = {{0.5, -0.3}, {-0.3, 3.0}};
    double exact = FrechetDistance.between(mu1, s1, mu2, s2);
    FeatureStats x = gaussianStats(mu1, s1, 200_000, new Random(1), 4);
    FeatureStats y = gaussianStats(mu2, s2, 200_000, new Random(2), 3);

    double estimate = FrechetDistance.between(x.mean(), x.covariance(), y.mean(), y.covariance());

    assertEquals(exact, estimate, 0.02 * exact);
  }

  @Test
  void mismatchedDimensionsAreRefused() {
    assertThrows(
        IllegalArgumentException.class,
        () ->
            FrechetDistance.between(
                new double[2], new double[2][2], new double[3], new double[3][3]));
  }

  /** Samples N(mu, s) through its Cholesky factor, summed in {@code parts} merged partials. */
  private static FeatureStats gaussianStats(
      double[] mu, double[][] s, int n, Random random, int parts) {
    double l00 = Math.sqrt(s[0][0]);
    double l10 = s[1][0] / l00;
    double l11 = Math.sqrt(s[1][1] - l10 * l10);
    FeatureStats total = null;
    for (int p = 0; p < parts; p++) {
      FeatureStats part = new FeatureStats(2, 2, 1, 1);
      for (int i = p; i < n; i += parts) {
        double z0 = random.nextGaussian();
        double z1 = random.nextGaussian();
        float[] f = {(float) (mu[0] + l00 * z0), (float) (mu[1] + l10 * z0 + l11 * z1)};
        part.add(new EvalImage(i, -1, new byte[] {0}), new float[] {1, 0}, 0, f, 0);
      }
      total = total == null ? part : total.merge(part);
    }
    return total;
  }

  /** Q of the QR decomposition (Gram-Schmidt) of a Gaussian matrix. */
  private static double[][] randomRotation(int d, Random random) {
    double[][] q = new double[d][d];
    for (int j = 0; j < d; j++) {
      double[] v = new double[d];
      for (int i = 0; i < d; i++) {
        v[i] = random.nextGaussian();
      }
      for (int k = 0; k < j; k++) {
        double dot = 0;
        for (int i = 0; i < d; i++) {
          dot += v[i] * q[i][k];
        }
        for (int i = 0; i < d; i++) {
          v[i] -= dot * q[i][k];
        }
      }
      double norm = 0;
      for (double x : v) {
        norm += x * x;
      }
      norm = Math.sqrt(norm);
      for (int i = 0; i < d; i++) {
        q[i][j] = v[i] / norm;
      }
    }
    return q;
  }

  /** R diag(lambda) R^T. */
  private static double[][] rotate(double[][] r, double[] lambda) {
    int d = lambda.length;
    double[][] out = new double[d][d];
    for (int i = 0; i < d; i++) {
      for (int j = 0; j < d; j++) {
        double s = 0;
        for (int k = 0; k < d; k++) {
          s += r[i][k] * lambda[k] * r[j][k];
        }
        out[i][j] = s;
      }
    }
    return out;
  }
}
