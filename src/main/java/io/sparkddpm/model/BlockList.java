package io.sparkddpm.model;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code torch.nn.ModuleList}: children named 0, 1, 2, ... so that their parameters get diffusers'
 * keys ({@code resnets.0.conv1.weight}). It has no forward of its own.
 */
final class BlockList extends TorchBlock {
  private final List<Block> items = new ArrayList<>();

  <B extends Block> B add(B block) {
    items.add(addChildBlock(Integer.toString(items.size()), block));
    return block;
  }

  int size() {
    return items.size();
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
    throw new UnsupportedOperationException("a BlockList is a container; call its items");
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    throw new UnsupportedOperationException("a BlockList is a container; ask its items");
  }
}
