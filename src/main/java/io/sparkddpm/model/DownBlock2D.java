package io.sparkddpm.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * diffusers' {@code DownBlock2D} (resnets only) and {@code AttnDownBlock2D} (each resnet followed
 * by attention), with an optional stride-2 downsampler. Input: (x, temb). Output: every
 * intermediate state the up path will use as a skip, in order; the last one is the block's output.
 */
final class DownBlock2D extends TorchBlock {
  private final int outChannels;
  private final boolean downsample;
  private final BlockList attentions;
  private final BlockList resnets;
  private final BlockList downsamplers;

  DownBlock2D(
      int inChannels,
      int outChannels,
      int tembChannels,
      int layers,
      int groups,
      double eps,
      Integer attentionHeadDim,
      boolean downsample,
      int downsamplePadding) {
    this.outChannels = outChannels;
    this.downsample = downsample;
    // Registration order follows diffusers so parameters come out in state-dict order.
    attentions = attentionHeadDim == null ? null : addChildBlock("attentions", new BlockList());
    resnets = addChildBlock("resnets", new BlockList());
    for (int i = 0; i < layers; i++) {
      int in = i == 0 ? inChannels : outChannels;
      resnets.add(new ResnetBlock2D(in, outChannels, tembChannels, groups, eps));
      if (attentions != null) {
        attentions.add(new Attention(outChannels, attentionHeadDim, groups, eps));
      }
    }
    downsamplers = downsample ? addChildBlock("downsamplers", new BlockList()) : null;
    if (downsample) {
      downsamplers.add(new Downsample2D(outChannels, downsamplePadding));
    }
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
    NDArray h = inputs.get(0); // (B, Cin, H, W)
    NDArray temb = inputs.get(1); // (B, T)
    NDList skips = new NDList();
    for (int i = 0; i < resnets.size(); i++) {
      h = resnets.getChildren().get(i).getValue().forward(ps, new NDList(h, temb), training).head();
      if (attentions != null) {
        h = call(attentions.getChildren().get(i).getValue(), ps, h, training);
      }
      skips.add(h); // (B, Cout, H, W)
    }
    if (downsample) {
      h = call(downsamplers.getChildren().get(0).getValue(), ps, h, training);
      skips.add(h); // (B, Cout, H/2, W/2)
    }
    return skips;
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    Shape in = inputShapes[0];
    int n = resnets.size() + (downsample ? 1 : 0);
    Shape[] out = new Shape[n];
    for (int i = 0; i < resnets.size(); i++) {
      out[i] = new Shape(in.get(0), outChannels, in.get(2), in.get(3));
    }
    if (downsample) {
      out[n - 1] = new Shape(in.get(0), outChannels, in.get(2) / 2, in.get(3) / 2);
    }
    return out;
  }
}
