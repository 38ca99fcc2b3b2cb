package io.sparkddpm.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import ai.djl.util.PairList;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * diffusers' {@code UNet2DModel} (Ho et al. 2020, appendix B; Ronneberger et al. 2015) as a DJL
 * block, built from a {@link UNetConfig}. Input: (sample (B, C, H, W), timesteps[, class labels
 * (B,)]); the timesteps are one value for the whole batch or one per sample, integer or float; the
 * labels, integers in [0, num_class_embeds), are required exactly when the config has {@code
 * num_class_embeds}. Output: the predicted noise (B, C_out, H, W).
 *
 * <p>Children are registered in diffusers' order, so {@link #namedParameters()} lists parameters
 * exactly in diffusers' state-dict order and under its keys.
 */
public final class UNet2DModel extends TorchBlock {
  private final UNetConfig config;
  private final Timesteps timeProj;
  private final Conv2d convIn;
  private final TimestepEmbedding timeEmbedding;
  private final Embedding classEmbedding; // null for an unconditional model
  private final BlockList downBlocks;
  private final BlockList upBlocks;
  private final MidBlock2D midBlock;
  private final GroupNorm convNormOut;
  private final Conv2d convOut;
  private final Map<String, Parameter> named;

  /** Builds the blocks for {@code config}; call {@link #initialize(NDManager)} before use. */
  public UNet2DModel(UNetConfig config) {
    this.config = config;
    int[] channels = config.blockOutChannels();
    int levels = channels.length;
    int tembDim = config.timeEmbedDim();
    int groups = config.normNumGroups();
    double eps = config.normEps();

    timeProj = new Timesteps(channels[0], config.flipSinToCos(), config.freqShift());
    convIn = addChildBlock("conv_in", new Conv2d(config.inChannels(), channels[0], 3, 1, 1));
    timeEmbedding = addChildBlock("time_embedding", new TimestepEmbedding(channels[0], tembDim));
    classEmbedding =
        config.conditional()
            ? addChildBlock("class_embedding", new Embedding(config.numClassEmbeds(), tembDim))
            : null;

    downBlocks = addChildBlock("down_blocks", new BlockList());
    int out = channels[0];
    for (int i = 0; i < levels; i++) {
      int in = out;
      out = channels[i];
      boolean attn = config.downBlockTypes().get(i).equals("AttnDownBlock2D");
      downBlocks.add(
          new DownBlock2D(
              in,
              out,
              tembDim,
              config.layersPerBlock(),
              groups,
              eps,
              attn ? config.headDim(out) : null,
              i < levels - 1,
              config.downsamplePadding()));
    }

    upBlocks = addChildBlock("up_blocks", new BlockList());
    out = channels[levels - 1];
    for (int i = 0; i < levels; i++) {
      int prevOut = out;
      out = channels[levels - 1 - i];
      int in = channels[Math.max(levels - 2 - i, 0)];
      boolean attn = config.upBlockTypes().get(i).equals("AttnUpBlock2D");
      upBlocks.add(
          new UpBlock2D(
              prevOut,
              in,
              out,
              tembDim,
              config.layersPerBlock() + 1,
              groups,
              eps,
              attn ? config.headDim(out) : null,
              i < levels - 1));
    }

    int deepest = channels[levels - 1];
    midBlock =
        addChildBlock(
            "mid_block", new MidBlock2D(deepest, tembDim, groups, eps, config.headDim(deepest)));
    convNormOut = addChildBlock("conv_norm_out", new GroupNorm(groups, channels[0], eps, true));
    convOut = addChildBlock("conv_out", new Conv2d(channels[0], config.outChannels(), 3, 1, 1));
    Map<String, Parameter> named = new LinkedHashMap<>();
    collect(this, "", named);
    this.named = java.util.Collections.unmodifiableMap(named);
  }

  /** The configuration this model was built from. */
  public UNetConfig config() {
    return config;
  }

  /** Allocates every parameter (zeros) in {@code manager}; load weights afterwards. */
  public void initialize(NDManager manager) {
    int s = config.sampleSize();
    initialize(manager, DataType.FLOAT32, new Shape(1, config.inChannels(), s, s), new Shape(1));
  }

  /**
   * Parameters under diffusers' state-dict keys, in diffusers' order; unmodifiable. Built once, at
   * construction: every weight load and gradient read of a step walks it.
   */
  public Map<String, Parameter> namedParameters() {
    return named;
  }

  /**
   * The one mapping from DJL's parameter tree to diffusers' keys: DJL names a child {@code NNname}
   * (its 1-based registration number, zero-padded to two digits, then the name given to {@code
   * addChildBlock}); dropping the number and joining with dots gives the key.
   */
  private static void collect(Block block, String prefix, Map<String, Parameter> out) {
    for (Pair<String, Parameter> p : block.getDirectParameters()) {
      out.put(prefix + p.getKey(), p.getValue());
    }
    int index = 0;
    for (Pair<String, Block> child : block.getChildren()) {
      index++;
      String number = String.format(java.util.Locale.ROOT, "%02d", index);
      String key = child.getKey();
      if (!key.startsWith(number)) {
        throw new IllegalStateException("unexpected DJL child name " + key + " at " + index);
      }
      collect(child.getValue(), prefix + key.substring(number.length()) + ".", out);
    }
  }

  /** Key of the {@link Precision} among a forward's parameters; absent means float32. */
  static final String PRECISION = "precision";

  /**
   * The forward pass computing in {@code precision}; the output is float32 either way. {@link
   * #forward(ParameterStore, NDList, boolean)} is this with {@link Precision#FP32}.
   */
  public NDList forward(ParameterStore ps, NDList inputs, boolean training, Precision precision) {
    PairList<String, Object> params = new PairList<>();
    params.add(PRECISION, precision);
    return forward(ps, inputs, training, params);
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
    Object p = params == null ? null : params.get(PRECISION);
    return run(ps, inputs, training, p == null ? Precision.FP32 : (Precision) p, null);
  }

  /** The forward pass; when {@code trace} is given, intermediate outputs are recorded in it. */
  NDList run(ParameterStore ps, NDList inputs, boolean training, Map<String, NDArray> trace) {
    return run(ps, inputs, training, Precision.FP32, trace);
  }

  /**
   * The forward pass in {@code precision}: the sample, the timestep embedding and the class
   * embedding enter in its compute dtype, every block then computes in the dtype of its input, and
   * the output leaves as float32 (see {@link Precision}).
   */
  NDList run(
      ParameterStore ps,
      NDList inputs,
      boolean training,
      Precision precision,
      Map<String, NDArray> trace) {
    Map<String, NDArray> rec = trace == null ? new java.util.HashMap<>() : trace;
    NDArray sample = precision.cast(inputs.get(0)); // (B, C, H, W)
    long batch = sample.getShape().get(0);

    // 1. time: one timestep per sample, as float32 (integers are exact below 2^24)
    NDArray t = inputs.get(1).toType(DataType.FLOAT32, false).reshape(-1); // (B,) or (1,)
    if (t.size() == 1 && batch > 1) {
      t = t.broadcast(batch);
    } else if (t.size() != batch) {
      throw new IllegalArgumentException(
          "timesteps: expected 1 or " + batch + " values, got " + t.getShape());
    }
    NDArray temb = timeProj.embed(t); // (B, C0), sin/cos in float32 as under autocast
    rec.put("time_proj", temb);
    temb = precision.cast(temb);
    temb = call(timeEmbedding, ps, temb, training); // (B, 4*C0)
    if (classEmbedding != null) {
      if (inputs.size() < 3) {
        throw new IllegalArgumentException("class labels are required: num_class_embeds is set");
      }
      NDArray labels = inputs.get(2).reshape(-1); // (B,)
      if (labels.size() != batch) {
        throw new IllegalArgumentException(
            "class labels: expected " + batch + " values, got " + labels.getShape());
      }
      // the embedding row in temb's dtype, so the sum stays in the compute dtype
      temb = temb.add(precision.cast(call(classEmbedding, ps, labels, training))); // (B, 4*C0)
    } else if (inputs.size() > 2) {
      throw new IllegalArgumentException("class labels given to a model without num_class_embeds");
    }
    rec.put("time_emb", temb);

    // 2. pre-process
    NDArray h = call(convIn, ps, sample, training); // (B, C0, H, W)
    rec.put("conv_in_out", h);

    // 3. down: keep every intermediate state as a skip for the up path
    NDList skips = new NDList(h);
    int downIndex = 0;
    for (Pair<String, Block> down : downBlocks.getChildren()) {
      NDList states = down.getValue().forward(ps, new NDList(h, temb), training);
      skips.addAll(states);
      h = states.get(states.size() - 1);
      rec.put("down" + downIndex++ + "_out", h);
    }

    // 4. mid
    h = midBlock.forward(ps, new NDList(h, temb), training).head(); // (B, Cdeep, h, w)
    rec.put("mid_out", h);
    int upIndex = 0;

    // 5. up: each block consumes its skips from the end of the list
    for (Pair<String, Block> upPair : upBlocks.getChildren()) {
      UpBlock2D up = (UpBlock2D) upPair.getValue();
      NDList args = new NDList(h, temb);
      for (int i = 0; i < up.layers(); i++) {
        args.add(skips.remove(skips.size() - 1));
      }
      h = up.forward(ps, args, training).head();
      rec.put("up" + upIndex++ + "_out", h);
    }

    // 6. post-process
    h = call(convNormOut, ps, h, training); // GroupNorm + SiLU, (B, C0, H, W)
    // the loss (mse_loss is on autocast's float32 list) and the schedulers take float32
    return new NDList(Precision.toFloat32(call(convOut, ps, h, training))); // (B, Cout, H, W)
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    Shape in = inputShapes[0];
    return new Shape[] {new Shape(in.get(0), config.outChannels(), in.get(2), in.get(3))};
  }
}
