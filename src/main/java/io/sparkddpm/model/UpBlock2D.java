package io.sparkddpm.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * diffusers' {@code UpBlock2D} and {@code AttnUpBlock2D}: each resnet takes the running state
 * concatenated (state first) with one skip from the down path, optionally followed by attention;
 * then an optional nearest-x2 upsampler. Input: (h, temb, skip_0, skip_1, ...), skips in the order
 * they are consumed.
 */
final class UpBlock2D extends TorchBlock {
  private final int outChannels;
  private final boolean upsample;
  private final BlockList attentions;
  private final BlockList resnets;
  private final BlockList upsamplers;

  UpBlock2D(
      int prevOutChannels,
      int inChannels,
      int outChannels,
      int tembChannels,
      int layers,
      int groups,
      double eps,
      Integer attentionHeadDim,
      boolean upsample) {
    this.outChannels = outChannels;
    this.upsample = upsample;
    attentions = attentionHeadDim == null ? null : addChildBlock("attentions", new BlockList());
    resnets = addChildBlock("resnets", new BlockList());
    for (int i = 0; i < layers; i++) {
      int skipChannels = i == layers - 1 ? inChannels : outChannels;
      int stateChannels = i == 0 ? prevOutChannels : outChannels;
      resnets.add(
          new ResnetBlock2D(stateChannels + skipChannels, outChannels, tembChannels, groups, eps));
      if (attentions != null) {
        attentions.add(new Attention(outChannels, attentionHeadDim, groups, eps));
      }
    }
    upsamplers = upsample ? addChildBlock("upsamplers", new BlockList()) : null;
    if (upsample) {
      upsamplers.add(new Upsample2D(outChannels));
    }
  }

  /** Number of skips this block consumes. */
  int layers() {
    return resnets.size();
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
    NDArray h = inputs.get(0); // (B, Cprev, H, W)
    NDArray temb = inputs.get(1); // (B, T)
    for (int i = 0; i < resnets.size(); i++) {
      NDArray joined =
          NDArrays.concat(new NDList(h, inputs.get(2 + i)), 1); // (B, Cprev+Cskip, H, W)
      h =
          resnets
              .getChildren()
              .get(i)
              .getValue()
              .forward(ps, new NDList(joined, temb), training)
              .head();
      if (attentions != null) {
        h = call(attentions.getChildren().get(i).getValue(), ps, h, training);
      }
    }
    if (upsample) {
      h = call(upsamplers.getChildren().get(0).getValue(), ps, h, training); // (B, Cout, 2H, 2W)
    }
    return new NDList(h);
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    Shape in = inputShapes[0];
    int f = upsample ? 2 : 1;
    return new Shape[] {new Shape(in.get(0), outChannels, in.get(2) * f, in.get(3) * f)};
  }
}
