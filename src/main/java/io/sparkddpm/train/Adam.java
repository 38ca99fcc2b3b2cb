package io.sparkddpm.train;

/**
 * Adam (Kingma and Ba, 2015) exactly as {@code torch.optim.Adam} with its defaults (betas 0.9 and
 * 0.999, eps 1e-8, no weight decay, no amsgrad), on flat float vectors. The project's own because
 * DJL's optimizers cannot save their state; holding m and v as arrays makes resume exact.
 */
public final class Adam {
  static final double BETA1 = 0.9;
  static final double BETA2 = 0.999;
  static final double EPS = 1e-8;

  private final float[] m;
  private final float[] v;
  private long step;

  /** Fresh state for {@code size} parameters. */
  public Adam(int size) {
    this(new float[size], new float[size], 0);
  }

  /** Restored state. */
  public Adam(float[] m, float[] v, long step) {
    if (m.length != v.length) {
      throw new IllegalArgumentException("Adam state: m has " + m.length + ", v " + v.length);
    }
    this.m = m;
    this.v = v;
    this.step = step;
  }

  /**
   * One update of {@code params} in place with gradient {@code grad} and learning rate, in float32
   * and in the order of torch's single-tensor CPU Adam: {@code exp_avg.lerp_(grad, 1 - beta1)} and
   * {@code exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)} with fused multiply-adds
   * (as torch's vectorized kernels: both moments then equal torch's bit for bit, see
   * AdamParityTest), {@code denom = exp_avg_sq.sqrt() / bias_correction2_sqrt + eps} and {@code
   * param.addcdiv_(exp_avg, denom, value=-step_size)}, the scalars rounded to float as torch's
   * kernels do. Every operation is a float one, so the JIT compiles the loop to vector
   * instructions.
   */
  public void update(float[] params, float[] grad, double lr) {
    step++;
    float oneMinusB1 = (float) (1 - BETA1);
    float b2 = (float) BETA2;
    float oneMinusB2 = (float) (1 - BETA2);
    float eps = (float) EPS;
    float bias2Sqrt = (float) Math.sqrt(1 - Math.pow(BETA2, step));
    float negStepSize = (float) -(lr / (1 - Math.pow(BETA1, step)));
    Elementwise.forEach(
        params.length,
        (from, to) -> {
          for (int i = from; i < to; i++) {
            float g = grad[i];
            float mi = Math.fma(oneMinusB1, g - m[i], m[i]);
            float vi = Math.fma(oneMinusB2 * g, g, v[i] * b2);
            float denom = (float) Math.sqrt(vi) / bias2Sqrt + eps;
            m[i] = mi;
            v[i] = vi;
            params[i] += negStepSize * mi / denom;
          }
        });
  }

  /** First-moment estimates. */
  public float[] m() {
    return m;
  }

  /** Second-moment estimates. */
  public float[] v() {
    return v;
  }

  /** Number of updates taken. */
  public long step() {
    return step;
  }
}
