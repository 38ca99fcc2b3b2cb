package io.sparkddpm.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * diffusers' {@code ResnetBlock2D} with the default time-embedding norm: two GroupNorm-SiLU-conv
 * stages, the projected time embedding added between them, and a residual connection (through a 1x1
 * {@code conv_shortcut} when the channel count changes). Inputs: x (B, Cin, H, W) and the time
 * embedding (B, T).
 */
final class ResnetBlock2D extends TorchBlock {
  private final int outChannels;
  private final GroupNorm norm1;
  private final Conv2d conv1;
  private final Linear timeEmbProj;
  private final GroupNorm norm2;
  private final Conv2d conv2;
  private final Conv2d convShortcut;

  ResnetBlock2D(int inChannels, int outChannels, int tembChannels, int groups, double eps) {
    this.outChannels = outChannels;
    norm1 = addChildBlock("norm1", new GroupNorm(groups, inChannels, eps, true));
    conv1 = addChildBlock("conv1", new Conv2d(inChannels, outChannels, 3, 1, 1));
    timeEmbProj = addChildBlock("time_emb_proj", new Linear(tembChannels, outChannels));
    norm2 = addChildBlock("norm2", new GroupNorm(groups, outChannels, eps, true));
    conv2 = addChildBlock("conv2", new Conv2d(outChannels, outChannels, 3, 1, 1));
    convShortcut =
        inChannels == outChannels
            ? null
            : addChildBlock("conv_shortcut", new Conv2d(inChannels, outChannels, 1, 1, 0));
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
    NDArray x = inputs.get(0); // (B, Cin, H, W)
    NDArray temb = inputs.get(1); // (B, T)
    NDArray h = call(conv1, ps, call(norm1, ps, x, training), training); // norm1 ends in SiLU
    NDArray t = call(timeEmbProj, ps, Ops.silu(temb), training); // (B, Cout)
    h = h.add(t.reshape(t.getShape().get(0), outChannels, 1, 1)); // (B, Cout, H, W)
    h = call(conv2, ps, call(norm2, ps, h, training), training); // so does norm2
    NDArray shortcut = convShortcut == null ? x : call(convShortcut, ps, x, training);
    return new NDList(shortcut.add(h));
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    Shape in = inputShapes[0];
    return new Shape[] {new Shape(in.get(0), outChannels, in.get(2), in.get(3))};
  }
}
