package io.sparkddpm.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * {@code torch.nn.GroupNorm} (Wu and He, 2018) with affine weights, optionally followed by SiLU
 * (the pair every ResNet block and the output head use). Statistics are per sample and group, with
 * the biased variance, as in PyTorch; there are no running statistics.
 *
 * <p>DJL (0.33 through 0.36) has no GroupNorm, so it has two paths. The composed one uses DJL's
 * ops: libtorch's layer norm over each group, then a multiply and an add for the affine, and
 * sigmoid times input for SiLU. The fused one runs libtorch's own {@code group_norm} (affine
 * included, one fused backward for input, weight and bias) and {@code silu} through scripted
 * modules ({@code group_norm.pt}, {@code group_norm_silu.pt}, made by the Python script beside
 * them). Both training and inference forwards take the fused path unless {@code
 * -Dsparkddpm.fused_norm=false} forces the composed one, as measured with libtorch 2.7.1 on two
 * 2-core CPUs (tutorial UNet, paired in one JVM, {@code FusedAbBenchmark norm}): on an AMD EPYC a
 * training step at batch 128 was 1.22x faster fused (3 pairs, every pair faster) and a sampling
 * forward at batch 64 0.96x (6 pairs); on an Intel Xeon (family 6 model 207) the sampling forward
 * was 1.75x faster fused (6 pairs, every pair faster). A default tuned to the first machine cost
 * the second 43% of every sampling step; fused loses 4% on the first. On a GPU the choice is
 * unmeasured.
 */
final class GroupNorm extends TorchBlock {
  /**
   * System property that forces the fused modules on ({@code true}, the default) or off ({@code
   * false}) for every forward. Read on every call.
   */
  static final String PROPERTY = "sparkddpm.fused_norm";

  private static final ScriptedModule NORM = new ScriptedModule("group_norm.pt");
  private static final ScriptedModule NORM_SILU = new ScriptedModule("group_norm_silu.pt");

  private final int groups;
  private final int channels;
  private final float eps;
  private final boolean silu;
  private final Parameter weight;
  private final Parameter bias;

  /**
   * @param groups number of groups; must divide {@code channels}
   * @param channels channels of the input
   * @param eps added to the variance
   * @param silu whether SiLU follows the normalisation inside this block
   */
  GroupNorm(int groups, int channels, double eps, boolean silu) {
    if (channels % groups != 0) {
      throw new IllegalArgumentException(
          "GroupNorm: " + channels + " channels cannot be split into " + groups + " groups");
    }
    this.groups = groups;
    this.channels = channels;
    this.eps = (float) eps;
    this.silu = silu;
    weight = param("weight", channels);
    bias = param("bias", channels);
  }

  /** Whether a forward takes the fused path: unless {@link #PROPERTY} is {@code false}. */
  static boolean fused() {
    String forced = System.getProperty(PROPERTY);
    return forced == null || forced.isEmpty() || Boolean.parseBoolean(forced);
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
    NDArray x = inputs.singletonOrThrow(); // (B, C, H, W)
    if (Precision.isBf16(x)) {
      return new NDList(bf16(ps, x, training));
    }
    return new NDList(fused() ? fusedForward(ps, x, training) : composed(ps, x, training));
  }

  /**
   * A bfloat16 {@code x} normalised with float32 statistics into a bfloat16 output. On the CPU
   * libtorch's group_norm takes a bfloat16 input with float32 weights and accumulates in float32,
   * as under CPU autocast (which leaves group_norm alone); CUDA's kernel wants one dtype, so there
   * a float32 copy is normalised, as CUDA autocast does (group_norm is on its float32 list).
   */
  private NDArray bf16(ParameterStore ps, NDArray x, boolean training) {
    if (Device.Type.CPU.equals(x.getDevice().getDeviceType())) {
      return fusedForward(ps, x, training);
    }
    NDArray x32 = Precision.toFloat32(x);
    return Precision.BF16.cast(
        fused() ? fusedForward(ps, x32, training) : composed(ps, x32, training));
  }

  private NDArray fusedForward(ParameterStore ps, NDArray x, boolean training) {
    NDManager m = x.getManager();
    // The module reads the group count from spec's length and epsilon from its entries. spec stays
    // on the CPU whatever x's device, so reading it costs no device sync; libtorch allocates it.
    NDArray spec = m.full(new Shape(groups), eps, DataType.FLOAT64, Device.cpu());
    NDArray gamma = ps.getValue(weight, x.getDevice(), training);
    NDArray beta = ps.getValue(bias, x.getDevice(), training);
    NDArray out = (silu ? NORM_SILU : NORM).apply(training, x, gamma, beta, spec);
    spec.close();
    return out;
  }

  private NDArray composed(ParameterStore ps, NDArray x, boolean training) {
    Shape shape = x.getShape();
    NDArray grouped = x.reshape(shape.get(0), groups, -1); // (B, G, C/G*H*W)
    // Normalising each group is a layer norm over the group's last axis; libtorch's fused
    // layer_norm (and its backward) is several times faster than composing mean/var/div.
    Shape groupShape = new Shape(grouped.getShape().get(2));
    NDManager m = x.getManager();
    NDArray ones = m.ones(groupShape);
    NDArray zeros = m.zeros(groupShape);
    NDArray normed =
        x.getNDArrayInternal()
            .layerNorm(grouped, groupShape, ones, zeros, eps)
            .head()
            .reshape(shape);
    NDArray gamma = view(ps, weight, x, training, 1, channels, 1, 1);
    NDArray beta = view(ps, bias, x, training, 1, channels, 1, 1);
    NDArray y = normed.mul(gamma).add(beta);
    return silu ? Ops.silu(y) : y;
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    return new Shape[] {inputShapes[0]};
  }
}
