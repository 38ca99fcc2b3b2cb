package io.sparkddpm.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/** diffusers' {@code UNetMidBlock2D} with attention: resnet, attention, resnet. */
final class MidBlock2D extends TorchBlock {
  private final Block attention;
  private final Block resnet0;
  private final Block resnet1;

  MidBlock2D(int channels, int tembChannels, int groups, double eps, int headDim) {
    BlockList attentions = addChildBlock("attentions", new BlockList());
    BlockList resnets = addChildBlock("resnets", new BlockList());
    resnet0 = resnets.add(new ResnetBlock2D(channels, channels, tembChannels, groups, eps));
    attention = attentions.add(new Attention(channels, headDim, groups, eps));
    resnet1 = resnets.add(new ResnetBlock2D(channels, channels, tembChannels, groups, eps));
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
    NDArray temb = inputs.get(1); // (B, T)
    NDArray h = resnet0.forward(ps, new NDList(inputs.get(0), temb), training).head();
    h = call(attention, ps, h, training);
    return resnet1.forward(ps, new NDList(h, temb), training); // (B, C, H, W)
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    return new Shape[] {inputShapes[0]};
  }
}
