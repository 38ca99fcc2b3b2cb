package io.sparkddpm.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * {@code torch.nn.Embedding}: row {@code label} of {@code weight (num, dim)} for each integer
 * label. diffusers' {@code UNet2DModel} uses it as {@code class_embedding} when {@code
 * num_class_embeds} is set and {@code class_embed_type} is None.
 */
final class Embedding extends TorchBlock {
  private final int num;
  private final int dim;
  private final Parameter weight;

  Embedding(int num, int dim) {
    this.num = num;
    this.dim = dim;
    weight = param("weight", num, dim);
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
    NDArray labels = inputs.singletonOrThrow().toType(DataType.INT64, false).reshape(-1); // (B,)
    NDArray w = ps.getValue(weight, labels.getDevice(), training); // (num, dim)
    // Called on the labels so the result lives in the step's manager, not the model's.
    return labels.getNDArrayInternal().embedding(labels, w, SparseFormat.DENSE); // (B, dim)
  }

  /** Number of rows (classes, the null class included when there is one). */
  int size() {
    return num;
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    return new Shape[] {new Shape(inputShapes[0].get(0), dim)};
  }
}
