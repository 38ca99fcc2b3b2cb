package io.sparkddpm.train;

import java.util.Random;

/**
 * Random inputs of one training step of a 1-channel 32x32 UNet at batch {@code n}, for tests and
 * benchmarks: {@code x} and {@code eps} (n, 1, 32, 32) standard normal, drawn interleaved, then
 * {@code t} (n,) integers 0..999 as floats, all from {@code new Random(seed)}.
 */
public record StepInputs(float[] x, float[] eps, float[] t) {
  /** The inputs of batch {@code n} drawn from {@code seed}. */
  public static StepInputs random(int n, long seed) {
    Random r = new Random(seed);
    float[] x = new float[n * 1024];
    float[] eps = new float[n * 1024];
    float[] t = new float[n];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextGaussian();
      eps[i] = (float) r.nextGaussian();
    }
    for (int i = 0; i < n; i++) {
      t[i] = r.nextInt(1000);
    }
    return new StepInputs(x, eps, t);
  }
}
