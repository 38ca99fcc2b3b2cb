package io.sparkddpm.train;

import java.util.ArrayList;
import java.util.List;

/**
 * Sums the tasks' partial gradients into the global batch's mean gradient.
 *
 * <p>It runs on the driver, over the partials collected in partition order, rather than as a Spark
 * {@code treeAggregate}: Spark merges task results in the order tasks finish, and float addition is
 * not associative, so the sum would change in its last bits from run to run. Adding in a fixed
 * order makes a step bitwise reproducible (a retried task or a resumed run gives the same weights).
 * With one partial per task the driver handles P vectors of 1.7 M floats a step; for P up to a few
 * dozen that is cheaper than an extra tree stage.
 */
public final class AllReduce {
  private AllReduce() {}

  /**
   * The mean over the global batch: gradient and loss; {@code computeSeconds} is the longest task's
   * own computation time, the part of the step that Spark's scheduling does not add, and {@code
   * taskSeconds} the sum over tasks (what the step costs when the tasks take turns). {@code
   * gradFinite} says whether every gradient value is finite (checked in the same pass as the sum).
   */
  public record Mean(
      float[] grad,
      double loss,
      int count,
      double computeSeconds,
      double taskSeconds,
      boolean gradFinite) {
    /** Loss and every gradient value finite. */
    public boolean finite() {
      return gradFinite && Double.isFinite(loss);
    }

    /** This mean with its first gradient value NaN: what a transient fault gave (tests). */
    public Mean poisoned() {
      grad[0] = Float.NaN;
      return new Mean(grad, loss, count, computeSeconds, taskSeconds, false);
    }
  }

  /** Sums {@code partials} in list order (partition order), then divides by the image count. */
  public static Mean mean(List<GradientStep.Partial> partials, int size) {
    return mean(partials, new float[size]);
  }

  /**
   * As {@link #mean(List, int)}, written into {@code out} (every element overwritten), which the
   * returned mean's gradient then is: the driver reuses one vector from step to step instead of
   * allocating 4 bytes a parameter each time.
   *
   * <p>Each element is a double sum over the partials in partition order, starting from +0.0 (so a
   * sum of negative zeros is +0.0), divided by the image count and rounded to float. With one or
   * two partials (one or two executors) and a power-of-two image count, the sum is taken in float
   * where that gives the same bits (see {@code sumLoop}) and in double elsewhere: the results are
   * bitwise those of the general loop, in a fraction of its time.
   */
  public static Mean mean(List<GradientStep.Partial> partials, float[] out) {
    int size = out.length;
    double loss = 0;
    int count = 0;
    double computeSeconds = 0;
    double taskSeconds = 0;
    List<float[]> nonEmpty = new ArrayList<>(partials.size()); // in partition order
    for (GradientStep.Partial p : partials) {
      computeSeconds = Math.max(computeSeconds, p.seconds());
      taskSeconds += p.seconds();
      if (p.count() == 0) {
        continue;
      }
      nonEmpty.add(p.gradSum());
      loss += p.lossSum();
      count += p.count();
    }
    if (count == 0) {
      throw new IllegalStateException("no task held any image of the step's batch");
    }
    float[][] grads = nonEmpty.toArray(new float[0][]);
    for (float[] g : grads) {
      if (g.length != size) {
        throw new IllegalArgumentException(
            "a partial gradient has " + g.length + " values, the model " + size);
      }
    }
    long nonFinite = Elementwise.count(size, sumLoop(grads, count, out));
    return new Mean(out, loss / count, count, computeSeconds, taskSeconds, nonFinite == 0);
  }

  /** The loop writing {@code out[i]}; it returns how many of the values it wrote are not finite. */
  private static Elementwise.Counting sumLoop(float[][] grads, int n, float[] out) {
    if (Integer.bitCount(n) == 1 && grads.length <= 2) {
      // In float: a + b rounded to float equals the double sum rounded to float (float addition
      // through double rounds once in effect, double having more than 2 x 24 + 2 bits), and
      // scaling by a power of two is exact while the result is a normal float. So where the float
      // result is normal it is the general loop's, bit for bit; zeros, subnormals, overflows and
      // NaNs are recomputed in double. The float pass is vectorized by the JIT.
      float invF = 1f / n; // exact: n is a power of two
      float[] a = grads[0];
      float[] b = grads.length == 2 ? grads[1] : null;
      return (from, to) -> {
        if (b == null) {
          for (int i = from; i < to; i++) {
            out[i] = a[i] * invF;
          }
        } else {
          for (int i = from; i < to; i++) {
            out[i] = (a[i] + b[i]) * invF;
          }
        }
        int bad = 0;
        for (int i = from; i < to; i++) {
          float x = Math.abs(out[i]);
          if (!(x >= Float.MIN_NORMAL && x <= Float.MAX_VALUE)) {
            float exact = meanAt(grads, i, n);
            out[i] = exact;
            bad += Float.isFinite(exact) ? 0 : 1;
          }
        }
        return bad;
      };
    }
    return (from, to) -> {
      int bad = 0;
      for (int i = from; i < to; i++) {
        float x = meanAt(grads, i, n);
        out[i] = x;
        bad += Float.isFinite(x) ? 0 : 1;
      }
      return bad;
    };
  }

  /** Element {@code i} of the mean: a double sum from +0.0 in partition order, divided by n. */
  private static float meanAt(float[][] grads, int i, int n) {
    double sum = 0;
    for (float[] g : grads) {
      sum += g[i];
    }
    return (float) (sum / n);
  }
}
