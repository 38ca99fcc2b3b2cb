package io.sparkddpm.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/** {@code torch.nn.Conv2d} with a square kernel, bias, and explicit channel counts. */
final class Conv2d extends TorchBlock {
  private final int inChannels;
  private final int outChannels;
  private final Shape stride;
  private final Shape padding;
  private final Parameter weight;
  private final Parameter bias;

  Conv2d(int inChannels, int outChannels, int kernel, int stride, int padding) {
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.stride = new Shape(stride, stride);
    this.padding = new Shape(padding, padding);
    weight = param("weight", outChannels, inChannels, kernel, kernel);
    bias = param("bias", outChannels);
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
    NDArray x = inputs.singletonOrThrow(); // (B, Cin, H, W)
    NDArray w = weightLike(ps, weight, x, training); // x's dtype: bf16 under --precision bf16
    NDArray b = weightLike(ps, bias, x, training);
    return x.getNDArrayInternal()
        .convolution(x, w, b, stride, padding, new Shape(1, 1), 1); // (B, Cout, H', W')
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    Shape in = inputShapes[0];
    long k = weight.getShape().get(2);
    long h = (in.get(2) + 2 * padding.get(0) - k) / stride.get(0) + 1;
    long w = (in.get(3) + 2 * padding.get(1) - k) / stride.get(1) + 1;
    return new Shape[] {new Shape(in.get(0), outChannels, h, w)};
  }

  int inChannels() {
    return inChannels;
  }
}
