package io.sparkddpm.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import ai.djl.util.PairList;
import io.sparkddpm.model.Precision;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A LeNet-5-style image classifier (LeCun et al. 1998, with ReLU and max pooling): two 5x5
 * convolutions each followed by a 2x2 max pool, then three fully connected layers. The forward pass
 * returns the logits and the penultimate layer's activations, the features EvaluateJob compares.
 *
 * <p>Children are named as the equivalent {@code torch.nn.Module}'s attributes ({@code conv1},
 * {@code conv2}, {@code fc1}, {@code fc2}, {@code fc3}), so {@link #stateDict} keys read like a
 * PyTorch state dict ({@code conv1.weight}, ...).
 *
 * <p>In {@link Precision#BF16} the forward computes as {@code torch.autocast} does on the float32
 * weights: the input and per-forward copies of each layer's weight and bias in bfloat16, ReLU and
 * max pooling on the bfloat16 activations, the logits and features cast back to float32.
 */
public final class LeNet extends AbstractBlock {
  private static final String[] NAMES = {"conv1", "conv2", "fc1", "fc2", "fc3"};

  private final LeNetConfig config;
  private final Precision precision;
  private final Block conv1;
  private final Block conv2;
  private final Block fc1;
  private final Block fc2;
  private final Block fc3;

  /** An uninitialised network of the given shape, computing in float32. */
  public LeNet(LeNetConfig config) {
    this(config, Precision.FP32);
  }

  /** An uninitialised network of the given shape whose forward computes in {@code precision}. */
  public LeNet(LeNetConfig config, Precision precision) {
    this.config = config;
    this.precision = precision;
    Shape k5 = new Shape(5, 5);
    conv1 =
        addChildBlock(
            NAMES[0], Conv2d.builder().setKernelShape(k5).setFilters(config.conv1()).build());
    conv2 =
        addChildBlock(
            NAMES[1], Conv2d.builder().setKernelShape(k5).setFilters(config.conv2()).build());
    fc1 = addChildBlock(NAMES[2], Linear.builder().setUnits(config.fc1()).build());
    fc2 = addChildBlock(NAMES[3], Linear.builder().setUnits(config.fc2()).build());
    fc3 = addChildBlock(NAMES[4], Linear.builder().setUnits(config.numClasses()).build());
  }

  /** The network's shape. */
  public LeNetConfig config() {
    return config;
  }

  /** Initialises the parameters for inputs of shape (B, C, side, side). */
  public void initialize(NDManager manager) {
    int side = config.sampleSize();
    initialize(manager, DataType.FLOAT32, new Shape(1, config.inChannels(), side, side));
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
    // (B, C, 32, 32), shapes below for 32; bfloat16 under BF16, else the input itself
    NDArray x = precision.cast(inputs.singletonOrThrow());
    x = pool(Activation.relu(layer(conv1, ps, x, training))); // (B, 16, 14, 14)
    x = pool(Activation.relu(layer(conv2, ps, x, training))); // (B, 32, 5, 5)
    x = x.reshape(x.getShape().get(0), -1); // (B, 800)
    x = Activation.relu(layer(fc1, ps, x, training)); // (B, 120)
    NDArray features = Activation.relu(layer(fc2, ps, x, training)); // (B, 84)
    NDArray logits = layer(fc3, ps, features, training); // (B, classes)
    return new NDList(Precision.toFloat32(logits), Precision.toFloat32(features));
  }

  /**
   * One convolution or linear layer on {@code x}: the block itself in float32; in bfloat16 the same
   * op on bfloat16 copies of its float32 weight and bias (DJL's blocks take their parameters as
   * they are, so a bfloat16 input would meet float32 weights).
   */
  private NDArray layer(Block block, ParameterStore ps, NDArray x, boolean training) {
    if (precision == Precision.FP32) {
      return block.forward(ps, new NDList(x), training).head();
    }
    NDArray w = param(block, "weight", ps, x, training);
    NDArray b = param(block, "bias", ps, x, training);
    return block instanceof Conv2d
        ? Conv2d.conv2d(x, w, b, new Shape(1, 1), new Shape(0, 0), new Shape(1, 1), 1).head()
        : Linear.linear(x, w, b).head();
  }

  private static NDArray param(
      Block block, String name, ParameterStore ps, NDArray x, boolean training) {
    Parameter p = block.getParameters().get(name);
    return Precision.weightFor(ps.getValue(p, x.getDevice(), training), x);
  }

  private static NDArray pool(NDArray x) {
    return Pool.maxPool2d(x, new Shape(2, 2), new Shape(2, 2), new Shape(0, 0), false);
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    long b = inputShapes[0].get(0);
    return new Shape[] {new Shape(b, config.numClasses()), new Shape(b, config.featureDim())};
  }

  @Override
  protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
    long b = inputShapes[0].get(0);
    int side = config.sampleSize();
    int mid = (side - 4) / 2;
    int pooled = config.pooledSide();
    conv1.initialize(manager, dataType, new Shape(b, config.inChannels(), side, side));
    conv2.initialize(manager, dataType, new Shape(b, config.conv1(), mid, mid));
    fc1.initialize(manager, dataType, new Shape(b, (long) config.conv2() * pooled * pooled));
    fc2.initialize(manager, dataType, new Shape(b, config.fc1()));
    fc3.initialize(manager, dataType, new Shape(b, config.featureDim()));
  }

  /**
   * The parameters by PyTorch-style name ({@code conv1.weight}, {@code conv1.bias}, ...), in layer
   * order. Shapes equal torch's: conv (out, in, 5, 5), linear (out, in).
   */
  public Map<String, Parameter> stateDict() {
    // DJL prefixes child names with their position ("01conv1"), so the names come from NAMES.
    Map<String, Parameter> out = new LinkedHashMap<>();
    Block[] children = {conv1, conv2, fc1, fc2, fc3};
    for (int i = 0; i < children.length; i++) {
      for (Pair<String, Parameter> p : children[i].getParameters()) {
        out.put(NAMES[i] + "." + p.getKey(), p.getValue());
      }
    }
    return out;
  }
}
