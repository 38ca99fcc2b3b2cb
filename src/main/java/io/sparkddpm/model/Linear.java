package io.sparkddpm.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/** {@code torch.nn.Linear} with bias: {@code y = x W^T + b} over the last axis. */
final class Linear extends TorchBlock {
  private final int outFeatures;
  private final Parameter weight;
  private final Parameter bias;

  Linear(int inFeatures, int outFeatures) {
    this.outFeatures = outFeatures;
    weight = param("weight", outFeatures, inFeatures);
    bias = param("bias", outFeatures);
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
    NDArray x = inputs.singletonOrThrow(); // (..., in)
    NDArray w = weightLike(ps, weight, x, training); // x's dtype: bf16 under --precision bf16
    NDArray b = weightLike(ps, bias, x, training);
    return x.getNDArrayInternal().linear(x, w, b); // (..., out)
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    Shape in = inputShapes[0];
    return new Shape[] {in.slice(0, in.dimension() - 1).add(outFeatures)};
  }
}
