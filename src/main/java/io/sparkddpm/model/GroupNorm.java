package io.sparkddpm.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * {@code torch.nn.GroupNorm} (Wu and He, 2018) with affine weights, built from the engine's
 * layer-norm op because DJL 0.33 has no GroupNorm. Statistics are per sample and group, with the
 * biased variance, as in PyTorch; there are no running statistics.
 */
final class GroupNorm extends TorchBlock {
  private final int groups;
  private final int channels;
  private final float eps;
  private final Parameter weight;
  private final Parameter bias;

  GroupNorm(int groups, int channels, double eps) {
    if (channels % groups != 0) {
      throw new IllegalArgumentException(
          "GroupNorm: " + channels + " channels cannot be split into " + groups + " groups");
    }
    this.groups = groups;
    this.channels = channels;
    this.eps = (float) eps;
    weight = param("weight", channels);
    bias = param("bias", channels);
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
    NDArray x = inputs.singletonOrThrow(); // (B, C, H, W)
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
    return new NDList(normed.mul(gamma).add(beta));
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    return new Shape[] {inputShapes[0]};
  }
}
