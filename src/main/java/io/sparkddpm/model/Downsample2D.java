package io.sparkddpm.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * diffusers' {@code Downsample2D} with a convolution: 3x3, stride 2. With padding 0 the input is
 * first padded by one on the right and bottom, as diffusers does.
 */
final class Downsample2D extends TorchBlock {
  private final boolean padRightBottom;
  private final Conv2d conv;

  Downsample2D(int channels, int padding) {
    padRightBottom = padding == 0;
    conv = addChildBlock("conv", new Conv2d(channels, channels, 3, 2, padding));
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
    NDArray x = inputs.singletonOrThrow(); // (B, C, H, W)
    if (padRightBottom) {
      x = x.pad(new Shape(0, 1, 0, 1), 0); // (B, C, H+1, W+1)
    }
    return new NDList(call(conv, ps, x, training)); // (B, C, H/2, W/2)
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    Shape in = inputShapes[0];
    return new Shape[] {new Shape(in.get(0), in.get(1), in.get(2) / 2, in.get(3) / 2)};
  }
}
