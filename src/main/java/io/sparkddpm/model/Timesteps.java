package io.sparkddpm.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;

/**
 * Sinusoidal timestep embedding of Vaswani et al. 2017 as diffusers' {@code Timesteps}: frequency i
 * is {@code exp(-ln(10000) i / (half - freqShift))}, and the embedding is {@code [sin, cos]}, or
 * {@code [cos, sin]} with {@code flipSinToCos}. Frequencies are rounded to float32 the way torch
 * computes them, so the embedding agrees with diffusers to float32 precision.
 */
final class Timesteps {
  private final float[] freqs;
  private final boolean flipSinToCos;

  Timesteps(int dim, boolean flipSinToCos, double freqShift) {
    if (dim % 2 != 0) {
      throw new IllegalArgumentException("timestep embedding size must be even, got " + dim);
    }
    int half = dim / 2;
    freqs = new float[half];
    float negLog = (float) -Math.log(10000.0);
    for (int i = 0; i < half; i++) {
      float exponent = (negLog * i) / (float) (half - freqShift);
      freqs[i] = (float) Math.exp(exponent);
    }
    this.flipSinToCos = flipSinToCos;
  }

  /** {@code t} (B,) float32 to the embedding (B, dim). */
  NDArray embed(NDArray t) {
    long batch = t.getShape().get(0);
    NDArray freq = t.getManager().create(freqs).reshape(1, freqs.length); // (1, half)
    NDArray arg = t.reshape(batch, 1).mul(freq); // (B, half)
    return flipSinToCos
        ? NDArrays.concat(new ai.djl.ndarray.NDList(arg.cos(), arg.sin()), 1)
        : NDArrays.concat(new ai.djl.ndarray.NDList(arg.sin(), arg.cos()), 1); // (B, dim)
  }
}
