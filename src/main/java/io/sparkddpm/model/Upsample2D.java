package io.sparkddpm.model;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/** diffusers' {@code Upsample2D}: nearest-neighbour x2, then a 3x3 convolution. */
final class Upsample2D extends TorchBlock {
  private final Conv2d conv;

  Upsample2D(int channels) {
    conv = addChildBlock("conv", new Conv2d(channels, channels, 3, 1, 1));
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
    var up = Ops.upsampleNearest2x(inputs.singletonOrThrow()); // (B, C, 2H, 2W)
    return new NDList(call(conv, ps, up, training));
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    Shape in = inputShapes[0];
    return new Shape[] {new Shape(in.get(0), in.get(1), in.get(2) * 2, in.get(3) * 2)};
  }
}
