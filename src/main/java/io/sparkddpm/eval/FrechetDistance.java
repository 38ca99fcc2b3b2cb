package io.sparkddpm.eval;

import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.EigenDecomposition;
import org.apache.commons.math3.linear.RealMatrix;

/**
 * The Fréchet (2-Wasserstein) distance between two Gaussians, as FID uses it (Heusel et al. 2017,
 * eq. 6; Dowson and Landau 1982):
 *
 * <pre>d² = |mu1 - mu2|² + Tr(S1 + S2 - 2 (S1 S2)^(1/2))</pre>
 *
 * <p>S1 S2 is not symmetric, but it is similar to the symmetric positive semi-definite matrix
 * S1^(1/2) S2 S1^(1/2), so they share their eigenvalues and Tr (S1 S2)^(1/2) is the sum of the
 * square roots of that matrix's eigenvalues. Two symmetric eigen-decompositions (commons-math's
 * {@link EigenDecomposition}) therefore do it, with no general matrix square root and none of the
 * complex round-off scipy's {@code sqrtm} needs trimming. Eigenvalues that round-off pushes below
 * zero are taken as zero.
 */
public final class FrechetDistance {
  private FrechetDistance() {}

  /**
   * The squared distance d² between N(mu1, s1) and N(mu2, s2) (what FID reports).
   *
   * @param mu1 mean of the first Gaussian, (d)
   * @param s1 covariance of the first Gaussian, (d, d), symmetric positive semi-definite
   * @param mu2 mean of the second Gaussian, (d)
   * @param s2 covariance of the second Gaussian, (d, d)
   */
  public static double between(double[] mu1, double[][] s1, double[] mu2, double[][] s2) {
    int d = mu1.length;
    if (mu2.length != d || s1.length != d || s2.length != d) {
      throw new IllegalArgumentException(
          "dimensions differ: mu1 "
              + d
              + ", mu2 "
              + mu2.length
              + ", S1 "
              + s1.length
              + ", S2 "
              + s2.length);
    }
    double meanTerm = 0;
    for (int i = 0; i < d; i++) {
      double diff = mu1[i] - mu2[i];
      meanTerm += diff * diff;
    }
    RealMatrix a = new Array2DRowRealMatrix(symmetric(s1), false);
    RealMatrix b = new Array2DRowRealMatrix(symmetric(s2), false);
    RealMatrix rootA = sqrtPsd(a);
    RealMatrix m = rootA.multiply(b).multiply(rootA); // S1^½ S2 S1^½, (d, d)
    double traceRoot = 0;
    for (double lambda :
        new EigenDecomposition(new Array2DRowRealMatrix(symmetric(m.getData()), false))
            .getRealEigenvalues()) {
      traceRoot += Math.sqrt(Math.max(0, lambda));
    }
    return meanTerm + a.getTrace() + b.getTrace() - 2 * traceRoot;
  }

  /** V diag(sqrt(max(λ, 0))) V^T of a symmetric positive semi-definite matrix. */
  static RealMatrix sqrtPsd(RealMatrix s) {
    EigenDecomposition eig = new EigenDecomposition(s);
    double[] lambda = eig.getRealEigenvalues();
    RealMatrix v = eig.getV();
    int d = lambda.length;
    double[][] scaled = new double[d][d]; // V diag(sqrt λ)
    for (int i = 0; i < d; i++) {
      for (int j = 0; j < d; j++) {
        scaled[i][j] = v.getEntry(i, j) * Math.sqrt(Math.max(0, lambda[j]));
      }
    }
    return new Array2DRowRealMatrix(scaled, false).multiply(v.transpose());
  }

  /**
   * (S + S^T) / 2: covariances summed in floating point are symmetric only to round-off, and
   * commons-math picks its non-symmetric algorithm for a matrix that is not exactly symmetric.
   */
  private static double[][] symmetric(double[][] s) {
    int d = s.length;
    double[][] out = new double[d][d];
    for (int i = 0; i < d; i++) {
      if (s[i].length != d) {
        throw new IllegalArgumentException(
            "covariance must be square, row "
                + i
                + " has "
                + s[i].length
                + " entries, expected "
                + d);
      }
      for (int j = 0; j < d; j++) {
        out[i][j] = 0.5 * (s[i][j] + s[j][i]);
      }
    }
    return out;
  }
}
