package io.sparkddpm.train;

/**
 * AdamW (Loshchilov and Hutter, 2019; Adam of Kingma and Ba, 2015, with decoupled weight decay)
 * exactly as {@code torch.optim.AdamW} without amsgrad, on flat float vectors; with weight decay 0
 * (the default) it is {@code torch.optim.Adam}, bit for bit the update of runs before the option
 * existed. The project's own because DJL's optimizers cannot save their state; holding m and v as
 * arrays makes resume exact.
 */
public final class Adam {
  static final double BETA1 = 0.9;
  static final double BETA2 = 0.999;
  static final double EPS = 1e-8;

  private final Hyper hyper;
  private final float[] m;
  private final float[] v;
  private long step;

  /**
   * The optimizer's constants, named as diffusers' training options ({@code --adam-beta1}, ...).
   *
   * @param beta1 decay of the first moment
   * @param beta2 decay of the second moment
   * @param weightDecay decoupled weight decay: each update first scales the weights by {@code 1 -
   *     lr * weightDecay}
   * @param epsilon added to the second moment's root
   */
  public record Hyper(double beta1, double beta2, double weightDecay, double epsilon) {
    /** torch's defaults without weight decay: the tutorial's Adam. */
    public static final Hyper TORCH_ADAM = new Hyper(BETA1, BETA2, 0, EPS);

    /** Checks the ranges torch checks. */
    public Hyper {
      if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
        throw new IllegalArgumentException(
            "Adam's betas must be in [0, 1), got " + beta1 + " and " + beta2);
      }
      if (!(weightDecay >= 0) || !(epsilon >= 0) || Double.isInfinite(weightDecay + epsilon)) {
        throw new IllegalArgumentException(
            "Adam's weight decay and epsilon must be finite and >= 0, got "
                + weightDecay
                + " and "
                + epsilon);
      }
    }
  }

  /** Fresh state of torch's default Adam for {@code size} parameters. */
  public Adam(int size) {
    this(Hyper.TORCH_ADAM, size);
  }

  /** Fresh state for {@code size} parameters. */
  public Adam(Hyper hyper, int size) {
    this(hyper, new float[size], new float[size], 0);
  }

  /** Restored state. */
  public Adam(Hyper hyper, float[] m, float[] v, long step) {
    if (m.length != v.length) {
      throw new IllegalArgumentException("Adam state: m has " + m.length + ", v " + v.length);
    }
    this.hyper = hyper;
    this.m = m;
    this.v = v;
    this.step = step;
  }

  /**
   * One update of {@code params} in place with gradient {@code grad} and learning rate, in float32
   * and in the order of torch's single-tensor CPU AdamW: {@code param.mul_(1 - lr * weight_decay)}
   * (a multiplication by exactly 1 without weight decay), {@code exp_avg.lerp_(grad, 1 - beta1)}
   * and {@code exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)} with fused
   * multiply-adds (as torch's vectorized kernels: both moments then equal torch's bit for bit, see
   * AdamParityTest), {@code denom = exp_avg_sq.sqrt() / bias_correction2_sqrt + eps} and {@code
   * param.addcdiv_(exp_avg, denom, value=-step_size)}, the scalars rounded to float as torch's
   * kernels do. Every operation is a float one, so the JIT compiles the loop to vector
   * instructions.
   */
  public void update(float[] params, float[] grad, double lr) {
    step++;
    float decay = (float) (1 - lr * hyper.weightDecay());
    float oneMinusB1 = (float) (1 - hyper.beta1());
    float b2 = (float) hyper.beta2();
    float oneMinusB2 = (float) (1 - hyper.beta2());
    float eps = (float) hyper.epsilon();
    float bias2Sqrt = (float) Math.sqrt(1 - Math.pow(hyper.beta2(), step));
    float negStepSize = (float) -(lr / (1 - Math.pow(hyper.beta1(), step)));
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
            params[i] = params[i] * decay + negStepSize * mi / denom;
          }
        });
  }

  /** The optimizer's constants. */
  public Hyper hyper() {
    return hyper;
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
