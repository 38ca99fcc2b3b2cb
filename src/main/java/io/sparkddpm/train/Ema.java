package io.sparkddpm.train;

/**
 * The exponential moving average of the weights that the driver keeps beside them (fp32), updated
 * after every optimizer step. Two kinds:
 *
 * <ul>
 *   <li>{@link #warmup}: diffusers' {@code EMAModel} with {@code use_ema_warmup=True}, as {@code
 *       train_unconditional.py} builds it. Before update {@code k} (counted from 1, as {@code
 *       EMAModel.optimization_step}), with {@code s = max(0, k - updateAfterStep - 1)}: the decay
 *       is 0 when {@code s = 0} (the average becomes a copy of the weights), else {@code 1 - (1 + s
 *       / invGamma)^-power} clamped to {@code [minDecay, maxDecay]} (crowsonkb's warm-up; the power
 *       3/4 reaches 0.999 after 10k updates). The update is torch's {@code shadow -= (1 - decay) *
 *       (shadow - param)} in float32, with {@code 1 - decay} rounded to a float.
 *   <li>{@link #constant}: the project's older {@code --ema-decay}: {@code shadow = d shadow + (1 -
 *       d) param} from the first update, the average starting at the initial weights.
 * </ul>
 */
final class Ema {
  private final boolean warmup;
  private final double invGamma;
  private final double power;
  private final double maxDecay;
  private final double minDecay;
  private final long updateAfterStep;

  private Ema(
      boolean warmup,
      double invGamma,
      double power,
      double maxDecay,
      double minDecay,
      long updateAfterStep) {
    this.warmup = warmup;
    this.invGamma = invGamma;
    this.power = power;
    this.maxDecay = maxDecay;
    this.minDecay = minDecay;
    this.updateAfterStep = updateAfterStep;
  }

  /** diffusers' {@code EMAModel(decay=maxDecay, min_decay, update_after_step, use_ema_warmup)}. */
  static Ema warmup(
      double invGamma, double power, double maxDecay, double minDecay, long updateAfterStep) {
    return new Ema(true, invGamma, power, maxDecay, minDecay, updateAfterStep);
  }

  /** A constant decay {@code d} from the first update. */
  static Ema constant(double d) {
    return new Ema(false, 0, 0, d, d, 0);
  }

  /** The decay of update {@code k} (from 1: the update after the k-th optimizer step). */
  double decay(long k) {
    if (!warmup) {
      return maxDecay;
    }
    long s = Math.max(0, k - updateAfterStep - 1);
    if (s == 0) {
      return 0.0;
    }
    double d = 1 - Math.pow(1 + s / invGamma, -power);
    return Math.max(Math.min(d, maxDecay), minDecay);
  }

  /** Update {@code k} (from 1) of {@code shadow} towards {@code params}, in place. */
  void update(float[] shadow, float[] params, long k) {
    if (!warmup) {
      float d = (float) maxDecay;
      Elementwise.forEach(
          params.length,
          (lo, hi) -> {
            for (int i = lo; i < hi; i++) {
              shadow[i] = d * shadow[i] + (1 - d) * params[i];
            }
          });
      return;
    }
    float oneMinusDecay = (float) (1 - decay(k));
    Elementwise.forEach(
        params.length,
        (lo, hi) -> {
          for (int i = lo; i < hi; i++) {
            shadow[i] -= oneMinusDecay * (shadow[i] - params[i]);
          }
        });
  }
}
