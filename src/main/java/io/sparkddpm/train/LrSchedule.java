package io.sparkddpm.train;

import java.util.Locale;

/**
 * The learning rate of each optimizer step, as {@code diffusers.optimization.get_scheduler} gives
 * it: a {@code LambdaLR} whose factor multiplies the peak rate, {@code lr * factor(step)}, where
 * {@code step} counts the updates already taken (the first update uses {@code factor(0)}). Every
 * schedule but {@code constant} starts with a linear warm-up from 0 over {@code warmupSteps}.
 * Computed in double as Python does; Adam takes the rate as a double too.
 *
 * @param kind which schedule
 * @param lr the peak learning rate (the optimizer's {@code lr})
 * @param warmupSteps steps of the linear warm-up
 * @param totalSteps the run's optimizer steps ({@code num_training_steps})
 * @param numCycles hard restarts of {@code cosine_with_restarts}
 * @param power exponent of {@code polynomial}
 */
public record LrSchedule(
    Kind kind, double lr, long warmupSteps, long totalSteps, int numCycles, double power) {

  /** {@code polynomial}'s final rate: diffusers' {@code lr_end} default, not an option there. */
  static final double POLYNOMIAL_LR_END = 1e-7;

  /** The schedules of diffusers' {@code SchedulerType}, by their option names. */
  public enum Kind {
    CONSTANT,
    CONSTANT_WITH_WARMUP,
    LINEAR,
    COSINE,
    COSINE_WITH_RESTARTS,
    POLYNOMIAL;

    /** The option value, e.g. {@code cosine_with_restarts}. */
    public String optionName() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** Whether the rate depends on the run's length ({@code num_training_steps}). */
    public boolean decays() {
      return this != CONSTANT && this != CONSTANT_WITH_WARMUP;
    }

    /** The kind of an option value; {@link IllegalArgumentException} lists the known ones. */
    public static Kind of(String optionValue) {
      for (Kind k : values()) {
        if (k.optionName().equals(optionValue)) {
          return k;
        }
      }
      throw new IllegalArgumentException(
          "expected constant, constant_with_warmup, linear, cosine, cosine_with_restarts or"
              + " polynomial, got \""
              + optionValue
              + "\"");
    }
  }

  /** Checks the ranges diffusers would fail on later. */
  public LrSchedule {
    if (!(lr > 0) || warmupSteps < 0 || totalSteps < 1 || numCycles < 1 || !(power > 0)) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "lr schedule needs lr > 0, warmup >= 0, total >= 1, cycles >= 1, power > 0; got"
                  + " %s, %d, %d, %d, %s",
              lr,
              warmupSteps,
              totalSteps,
              numCycles,
              power));
    }
    if (kind == Kind.POLYNOMIAL && !(lr > POLYNOMIAL_LR_END)) {
      throw new IllegalArgumentException(
          "the polynomial schedule decays to 1e-7 and needs a larger lr, got " + lr);
    }
  }

  /** The learning rate of the update that follows {@code step} earlier ones. */
  public double at(long step) {
    double factor =
        switch (kind) {
          case CONSTANT -> 1.0;
          case CONSTANT_WITH_WARMUP -> constantWithWarmup(step);
          case LINEAR -> linear(step);
          case COSINE -> cosine(step);
          case COSINE_WITH_RESTARTS -> cosineWithRestarts(step);
          case POLYNOMIAL -> polynomial(step);
        };
    return lr * factor;
  }

  /** {@code step / max(1, warmup)}: the factor during the warm-up. */
  private double warmup(long step) {
    return (double) step / Math.max(1, warmupSteps);
  }

  /** Fraction of the decay phase done: {@code (step - warmup) / max(1, total - warmup)}. */
  private double progress(long step) {
    return (double) (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
  }

  /** Warm-up, then 1. */
  private double constantWithWarmup(long step) {
    return step < warmupSteps ? warmup(step) : 1.0;
  }

  /** Warm-up, then {@code max(0, (total - step) / max(1, total - warmup))}: linear to 0. */
  private double linear(long step) {
    if (step < warmupSteps) {
      return warmup(step);
    }
    return Math.max(0.0, (double) (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
  }

  /**
   * Warm-up, then half a cosine period (diffusers' {@code num_cycles} 0.5): {@code max(0, (1 +
   * cos(pi * 2 * 0.5 * progress)) / 2)} (Loshchilov and Hutter 2017, eq. 5, without restarts).
   */
  private double cosine(long step) {
    if (step < warmupSteps) {
      return warmup(step);
    }
    return Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * 0.5 * 2.0 * progress(step))));
  }

  /**
   * Warm-up, then {@code numCycles} falls from 1 to 0 each restarting at 1: {@code (1 + cos(pi *
   * ((cycles * progress) mod 1))) / 2}, and 0 from the end of training on (SGDR, eq. 5).
   */
  private double cosineWithRestarts(long step) {
    if (step < warmupSteps) {
      return warmup(step);
    }
    double progress = progress(step);
    if (progress >= 1.0) {
      return 0.0;
    }
    return Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * ((numCycles * progress) % 1.0))));
  }

  /**
   * Warm-up, then {@code ((lr - end) * (1 - progress)^power + end) / lr} with {@code end = 1e-7},
   * and {@code end / lr} after the last step (BERT's polynomial decay, as diffusers computes it).
   */
  private double polynomial(long step) {
    if (step < warmupSteps) {
      return warmup(step);
    }
    long decaySteps = totalSteps - warmupSteps;
    if (step > totalSteps || decaySteps == 0) { // diffusers divides by zero in the second case
      return POLYNOMIAL_LR_END / lr;
    }
    double range = lr - POLYNOMIAL_LR_END;
    double remaining = 1 - (double) (step - warmupSteps) / decaySteps;
    return (range * Math.pow(remaining, power) + POLYNOMIAL_LR_END) / lr;
  }
}
