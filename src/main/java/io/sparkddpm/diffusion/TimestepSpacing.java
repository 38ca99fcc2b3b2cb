package io.sparkddpm.diffusion;

import io.sparkddpm.base.DiffusersName;

/**
 * How n inference timesteps are picked from 0..T−1, by diffusers' {@code timestep_spacing} name
 * (Lin et al. 2024, "Common Diffusion Noise Schedules and Sample Steps are Flawed", table 2). The
 * values equal diffusers' {@code set_timesteps}, which computes them with numpy in double and
 * rounds half to even; {@code steps_offset} applies to "leading" only, as in diffusers.
 *
 * <p>One deviation: for 62 values of n (61, 103, 121, ...) numpy's {@code arange(T, 0, −T/n)} has n
 * + 1 elements because {@code T / (T/n)} rounds to slightly above n, so diffusers' "trailing"
 * schedule gets an extra last timestep −1 (which its schedulers then index as ᾱ[−1] = ᾱ_{T−1}).
 * Here the schedule always has n timesteps: diffusers' list without that −1.
 */
public enum TimestepSpacing implements DiffusersName {
  /** {@code T // n} apart from 0 upwards: the first timestep is {@code (n−1)·(T // n)}, not T−1. */
  LEADING("leading"),
  /** {@code T / n} apart from T−1 downwards, so sampling starts at the noisiest timestep. */
  TRAILING("trailing"),
  /** {@code round(linspace(0, T−1, n))}: both ends included. */
  LINSPACE("linspace");

  private final String diffusersName;

  TimestepSpacing(String diffusersName) {
    this.diffusersName = diffusersName;
  }

  @Override
  public String diffusersName() {
    return diffusersName;
  }

  /** The {@link #diffusersName()}: what {@code --timestep-spacing} is spelled as. */
  @Override
  public String toString() {
    return diffusersName;
  }

  /** The spacing called {@code name} in diffusers, or an error listing the supported ones. */
  public static TimestepSpacing parse(String name) {
    return DiffusersName.parse(TimestepSpacing.class, "timestep_spacing", name);
  }

  /**
   * DDPM's and DDIM's n timesteps, descending: diffusers' {@code DDPMScheduler.set_timesteps}.
   *
   * @throws IllegalArgumentException if the offset pushes a "leading" timestep past T−1
   */
  public long[] timesteps(int numTrain, int n, int stepsOffset) {
    return switch (this) {
      case LEADING -> leading(numTrain, n - 1, n, numTrain / n, stepsOffset);
      case TRAILING -> trailing(numTrain, n);
      case LINSPACE -> linspace(numTrain - 1, n, n);
    };
  }

  /**
   * DPM-Solver's n timesteps, as {@code DPMSolverMultistepScheduler.set_timesteps}: "leading" and
   * "linspace" lay out n + 1 points and drop the last (0), so the final step goes to σ = 0 from a
   * timestep above 0; "trailing" is DDPM's.
   */
  public long[] solverTimesteps(int numTrain, int n, int stepsOffset) {
    return switch (this) {
      case LEADING -> leading(numTrain, n, n, numTrain / (n + 1), stepsOffset);
      case TRAILING -> trailing(numTrain, n);
      case LINSPACE -> linspace(numTrain - 1, n + 1, n);
    };
  }

  /**
   * {@code (top − i)·ratio + steps_offset} for i = 0..n−1: DDPM's n points down to 0 have {@code
   * top = n − 1}; DPM-Solver's n + 1 points, of which it drops the 0, have {@code top = n}.
   */
  private static long[] leading(int numTrain, int top, int n, int ratio, int stepsOffset) {
    long first = (long) top * ratio + stepsOffset;
    if (first >= numTrain) {
      throw new IllegalArgumentException(
          "steps_offset "
              + stepsOffset
              + " pushes the first of "
              + n
              + " timesteps to "
              + first
              + ", past num_train_timesteps - 1; use fewer steps or a smaller steps_offset");
    }
    long[] ts = new long[n];
    for (int i = 0; i < n; i++) {
      ts[i] = (long) (top - i) * ratio + stepsOffset;
    }
    return ts;
  }

  /**
   * {@code round(arange(T, 0, −T/n)) − 1}, element by element as numpy fills an arange: {@code
   * start + i·delta} with {@code delta = (start + step) − start}, in double.
   */
  private static long[] trailing(int numTrain, int n) {
    double step = -((double) numTrain / n);
    double start = numTrain;
    double delta = (start + step) - start;
    long[] ts = new long[n];
    for (int i = 0; i < n; i++) {
      ts[i] = (long) Math.rint(start + i * delta) - 1;
    }
    return ts;
  }

  /**
   * The first {@code keep} of {@code round(linspace(0, stop, num))[::-1]}, as numpy computes a
   * linspace: {@code i · (stop / (num − 1))} in double, the last point set to {@code stop}.
   */
  private static long[] linspace(int stop, int num, int keep) {
    double step = num > 1 ? (double) stop / (num - 1) : 0;
    long[] ts = new long[keep];
    for (int i = 0; i < keep; i++) {
      int k = num - 1 - i; // descending
      double y = k == num - 1 && num > 1 ? stop : k * step;
      ts[i] = (long) Math.rint(y);
    }
    return ts;
  }
}
