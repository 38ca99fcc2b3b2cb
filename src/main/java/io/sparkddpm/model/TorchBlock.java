package io.sparkddpm.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.Pair;

/**
 * A DJL block whose parameter shapes are fixed at construction, as in PyTorch, instead of inferred
 * from the first input. Children register under diffusers' module names.
 *
 * <p>Initialisation only allocates (zeros): real values come from {@link UNetWeights}, which either
 * loads a checkpoint or draws torch's default initialisation from a seed.
 */
abstract class TorchBlock extends AbstractBlock {

  /** Registers a parameter of a fixed shape under diffusers' name. */
  protected Parameter param(String name, long... shape) {
    return addParameter(
        Parameter.builder()
            .setName(name)
            .setType(name.equals("bias") ? Parameter.Type.BIAS : Parameter.Type.WEIGHT)
            .optShape(new Shape(shape))
            .optInitializer(Initializer.ZEROS)
            .build());
  }

  /** Shapes are known up front, so every child is initialised with the block's own input. */
  @Override
  protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
    for (Pair<String, Block> child : getChildren()) {
      child.getValue().initialize(manager, dataType, inputShapes);
    }
  }

  /** Forward of a child with a single input and output. */
  protected static NDArray call(Block child, ParameterStore ps, NDArray x, boolean training) {
    return child.forward(ps, new NDList(x), training).singletonOrThrow();
  }

  /**
   * The value of a parameter in {@code x}'s precision. For a bfloat16 {@code x} this is a bfloat16
   * copy that dies with the step (owned by {@code x}'s manager) while autograd carries its gradient
   * back to the float32 parameter as float32, as {@code torch.autocast} casts weights per op; for a
   * float32 {@code x} it is the parameter itself.
   */
  protected static NDArray weightLike(ParameterStore ps, Parameter p, NDArray x, boolean training) {
    return Precision.weightFor(ps.getValue(p, x.getDevice(), training), x);
  }

  /**
   * The value of a parameter in {@code like}'s dtype, reshaped for broadcasting and owned by {@code
   * like}'s manager. An op whose first operand is a parameter lands in the model's manager and
   * would live as long as the model; re-attaching it makes it die with the step.
   */
  protected static NDArray view(
      ParameterStore ps, Parameter p, NDArray like, boolean training, long... shape) {
    NDArray v = weightLike(ps, p, like, training).reshape(shape);
    v.attach(like.getManager());
    return v;
  }
}
