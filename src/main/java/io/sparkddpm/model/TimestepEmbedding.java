package io.sparkddpm.model;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/** diffusers' {@code TimestepEmbedding}: {@code linear_2(SiLU(linear_1(x)))}. */
final class TimestepEmbedding extends TorchBlock {
  private final int outDim;
  private final Linear linear1;
  private final Linear linear2;

  TimestepEmbedding(int inDim, int outDim) {
    this.outDim = outDim;
    linear1 = addChildBlock("linear_1", new Linear(inDim, outDim));
    linear2 = addChildBlock("linear_2", new Linear(outDim, outDim));
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
    var h = Ops.silu(call(linear1, ps, inputs.singletonOrThrow(), training)); // (B, 4C)
    return new NDList(call(linear2, ps, h, training)); // (B, 4C)
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    return new Shape[] {new Shape(inputShapes[0].get(0), outDim)};
  }
}
