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
   * taskSeconds} the sum over tasks (what the step costs when the tasks take turns).
   */
  public record Mean(
      float[] grad, double loss, int count, double computeSeconds, double taskSeconds) {}

  /** Sums {@code partials} in list order (partition order), then divides by the image count. */
  public static Mean mean(List<GradientStep.Partial> partials, int size) {
    return mean(partials, new float[size]);
  }

  /**
   * As {@link #mean(List, int)}, written into {@code out} (every element overwritten), which the
   * returned mean's gradient then is: the driver reuses one vector from step to step instead of
   * allocating 4 bytes a parameter each time.
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
    float[] mean = out;
    float[][] grads = nonEmpty.toArray(new float[0][]);
    for (float[] g : grads) {
      if (g.length != size) {
        throw new IllegalArgumentException(
            "a partial gradient has " + g.length + " values, the model " + size);
      }
    }
    int n = count;
    // Each element: a double sum over the partials in partition order, then one division.
    Elementwise.forEach(
        size,
        (from, to) -> {
          for (int i = from; i < to; i++) {
            double sum = 0;
            for (int k = 0; k < grads.length; k++) {
              sum += grads[k][i];
            }
            mean[i] = (float) (sum / n);
          }
        });
    return new Mean(mean, loss / count, count, computeSeconds, taskSeconds);
  }
}
