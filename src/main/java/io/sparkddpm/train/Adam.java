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

  /** One update of {@code params} in place with gradient {@code grad} and learning rate. */
  public void update(float[] params, float[] grad, double lr) {
    step++;
    float b1 = (float) BETA1;
    float b2 = (float) BETA2;
    double bias1 = 1 - Math.pow(BETA1, step);
    double bias2Sqrt = Math.sqrt(1 - Math.pow(BETA2, step));
    float stepSize = (float) (lr / bias1);
    Elementwise.forEach(
        params.length,
        (from, to) -> {
          for (int i = from; i < to; i++) {
            float g = grad[i];
            m[i] = m[i] * b1 + g * (1 - b1); // torch: exp_avg.lerp_(grad, 1 - beta1)
            // torch: exp_avg_sq.mul_(beta2).addcmul_(g, g, 1 - beta2)
            v[i] = v[i] * b2 + g * g * (1 - b2);
            float denom = (float) (Math.sqrt(v[i]) / bias2Sqrt + EPS);
            params[i] -= stepSize * (m[i] / denom);
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
