package io.sparkddpm.model;

import static io.sparkddpm.base.ConfigJson.require;

import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import com.google.gson.annotations.SerializedName;
import io.sparkddpm.base.ConfigJson;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The subset of diffusers' {@code UNet2DModel} configuration this port supports, validated on
 * construction. Read from and written to diffusers' {@code unet/config.json} through {@link
 * ConfigJson}; a key missing from the file takes diffusers' default, as {@code
 * UNet2DModel.from_config} would (see {@link Builder}), except {@code sample_size}, which must be
 * given (diffusers' default, None, leaves the image size open).
 *
 * @param sampleSize image side in pixels
 * @param inChannels channels of the input image
 * @param outChannels channels of the predicted noise
 * @param layersPerBlock resnets per down block (up blocks get one more)
 * @param blockOutChannels channels of each resolution level
 * @param downBlockTypes {@code DownBlock2D} or {@code AttnDownBlock2D} per level
 * @param upBlockTypes {@code UpBlock2D} or {@code AttnUpBlock2D} per level, deepest first
 * @param normNumGroups GroupNorm groups
 * @param normEps GroupNorm epsilon
 * @param attentionHeadDim channels per attention head; {@code null} means one head per block
 * @param downsamplePadding padding of the stride-2 convolutions (0 pads right and bottom by one)
 * @param flipSinToCos put cosines first in the sinusoidal timestep embedding
 * @param freqShift {@code downscale_freq_shift} of the sinusoidal embedding
 * @param numClassEmbeds rows of the class embedding ({@code nn.Embedding} added to the time
 *     embedding, diffusers' {@code class_embed_type=None} path); {@code null} for an unconditional
 *     model
 */
public record UNetConfig(
    int sampleSize,
    int inChannels,
    int outChannels,
    int layersPerBlock,
    int[] blockOutChannels,
    List<String> downBlockTypes,
    List<String> upBlockTypes,
    int normNumGroups,
    double normEps,
    Integer attentionHeadDim,
    int downsamplePadding,
    boolean flipSinToCos,
    double freqShift,
    Integer numClassEmbeds) {

  /** Keys diffusers writes that this port accepts only at the value it implements. */
  private static final Map<String, JsonElement> FIXED = new LinkedHashMap<>();

  static {
    FIXED.put("act_fn", new JsonPrimitive("silu"));
    FIXED.put("add_attention", new JsonPrimitive(true));
    FIXED.put("center_input_sample", new JsonPrimitive(false));
    FIXED.put("class_embed_type", JsonNull.INSTANCE);
    FIXED.put("dropout", new JsonPrimitive(0.0));
    FIXED.put("mid_block_scale_factor", new JsonPrimitive(1));
    FIXED.put("mid_block_type", new JsonPrimitive("UNetMidBlock2D"));
    FIXED.put("resnet_time_scale_shift", new JsonPrimitive("default"));
    FIXED.put("time_embedding_type", new JsonPrimitive("positional"));
    FIXED.put("time_embedding_dim", JsonNull.INSTANCE);
    FIXED.put("attn_norm_num_groups", JsonNull.INSTANCE);
    FIXED.put("downsample_type", new JsonPrimitive("conv"));
    FIXED.put("upsample_type", new JsonPrimitive("conv"));
    FIXED.put("num_train_timesteps", JsonNull.INSTANCE);
  }

  private static final String CLASS_NAME = "UNet2DModel";

  private static final List<String> DOWN_TYPES = List.of("DownBlock2D", "AttnDownBlock2D");
  private static final List<String> UP_TYPES = List.of("UpBlock2D", "AttnUpBlock2D");

  /** Validates every field; messages name diffusers' key. */
  public UNetConfig {
    Objects.requireNonNull(blockOutChannels, "block_out_channels");
    downBlockTypes = List.copyOf(downBlockTypes);
    upBlockTypes = List.copyOf(upBlockTypes);
    blockOutChannels = blockOutChannels.clone();
    int levels = blockOutChannels.length;
    require(levels > 0, "block_out_channels must not be empty");
    require(
        downBlockTypes.size() == levels && upBlockTypes.size() == levels,
        "down_block_types, up_block_types and block_out_channels must have the same length, got "
            + downBlockTypes.size()
            + ", "
            + upBlockTypes.size()
            + ", "
            + levels);
    for (String t : downBlockTypes) {
      require(
          DOWN_TYPES.contains(t), "down_block_types: unsupported \"" + t + "\"; use " + DOWN_TYPES);
    }
    for (String t : upBlockTypes) {
      require(UP_TYPES.contains(t), "up_block_types: unsupported \"" + t + "\"; use " + UP_TYPES);
    }
    require(sampleSize > 0, "sample_size must be positive, got " + sampleSize);
    require(
        sampleSize % (1 << (levels - 1)) == 0,
        "sample_size "
            + sampleSize
            + " must be divisible by 2^(levels-1) = "
            + (1 << (levels - 1)));
    require(inChannels > 0, "in_channels must be positive, got " + inChannels);
    require(outChannels > 0, "out_channels must be positive, got " + outChannels);
    require(layersPerBlock > 0, "layers_per_block must be positive, got " + layersPerBlock);
    require(normNumGroups > 0, "norm_num_groups must be positive, got " + normNumGroups);
    require(normEps > 0, "norm_eps must be positive, got " + normEps);
    require(
        downsamplePadding == 0 || downsamplePadding == 1,
        "downsample_padding must be 0 or 1, got " + downsamplePadding);
    for (int c : blockOutChannels) {
      require(
          c > 0 && c % normNumGroups == 0,
          "block_out_channels entry "
              + c
              + " must be a positive multiple of norm_num_groups "
              + normNumGroups);
      if (attentionHeadDim != null) {
        require(
            attentionHeadDim > 0 && c % attentionHeadDim == 0,
            "attention_head_dim "
                + attentionHeadDim
                + " must divide block_out_channels entry "
                + c);
      }
    }
    require(
        (blockOutChannels[0] / 2) - freqShift != 0,
        "freq_shift must differ from half of block_out_channels[0]");
    require(
        numClassEmbeds == null || numClassEmbeds > 0,
        "num_class_embeds must be positive or null, got " + numClassEmbeds);
  }

  /** Whether the model takes class labels (it has a class embedding). */
  public boolean conditional() {
    return numClassEmbeds != null;
  }

  /** The tutorial's model, 1,707,009 parameters: where it differs from diffusers' defaults. */
  public static UNetConfig tutorial() {
    return builder()
        .sampleSize(32)
        .inChannels(1)
        .outChannels(1)
        .blockOutChannels(32, 64, 64)
        .downBlockTypes("DownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D")
        .upBlockTypes("AttnUpBlock2D", "AttnUpBlock2D", "UpBlock2D")
        .build();
  }

  /** Channels of the time embedding: four times the first level's channels, as diffusers. */
  public int timeEmbedDim() {
    return blockOutChannels[0] * 4;
  }

  /** Channels per head of an attention block over {@code channels} channels. */
  public int headDim(int channels) {
    return attentionHeadDim == null ? channels : attentionHeadDim;
  }

  /** Parses diffusers' {@code config.json}; {@code source} names the file in errors. */
  public static UNetConfig fromJson(String json, String source) {
    return ConfigJson.read(json, source, CLASS_NAME, Builder.class, FIXED, Builder::build);
  }

  /** diffusers' {@code config.json}, every argument written out as {@code save_pretrained} does. */
  public String toJson() {
    JsonObject o = new JsonObject();
    o.addProperty("_class_name", CLASS_NAME);
    o.addProperty("_diffusers_version", ConfigJson.DIFFUSERS_VERSION);
    ConfigJson.toJson(toBuilder()).asMap().forEach(o::add);
    FIXED.forEach(o::add);
    return ConfigJson.pretty(o);
  }

  /** A builder holding this configuration. */
  public Builder toBuilder() {
    return builder()
        .sampleSize(sampleSize)
        .inChannels(inChannels)
        .outChannels(outChannels)
        .layersPerBlock(layersPerBlock)
        .blockOutChannels(blockOutChannels)
        .downBlockTypes(downBlockTypes.toArray(String[]::new))
        .upBlockTypes(upBlockTypes.toArray(String[]::new))
        .normNumGroups(normNumGroups)
        .normEps(normEps)
        .attentionHeadDim(attentionHeadDim)
        .downsamplePadding(downsamplePadding)
        .flipSinToCos(flipSinToCos)
        .freqShift(freqShift)
        .numClassEmbeds(numClassEmbeds);
  }

  /** A builder at diffusers' {@code UNet2DModel} defaults; {@code sampleSize} must be set. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Builds a {@link UNetConfig}. Its fields, under diffusers' key names, start at the defaults of
   * diffusers' {@code UNet2DModel.__init__} (checked against diffusers 0.42.1), which are also what
   * {@link #fromJson} takes for a key the file does not have; {@code sample_size} has none.
   */
  public static final class Builder {
    @SerializedName("sample_size")
    private Integer sampleSize;

    @SerializedName("in_channels")
    private int inChannels = 3;

    @SerializedName("out_channels")
    private int outChannels = 3;

    @SerializedName("layers_per_block")
    private int layersPerBlock = 2;

    @SerializedName("block_out_channels")
    private int[] blockOutChannels = {224, 448, 672, 896};

    @SerializedName("down_block_types")
    private List<String> downBlockTypes =
        List.of("DownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D");

    @SerializedName("up_block_types")
    private List<String> upBlockTypes =
        List.of("AttnUpBlock2D", "AttnUpBlock2D", "AttnUpBlock2D", "UpBlock2D");

    @SerializedName("norm_num_groups")
    private int normNumGroups = 32;

    @SerializedName("norm_eps")
    private double normEps = 1e-5;

    @SerializedName("attention_head_dim")
    private Integer attentionHeadDim = 8;

    @SerializedName("downsample_padding")
    private int downsamplePadding = 1;

    @SerializedName("flip_sin_to_cos")
    private boolean flipSinToCos = true;

    @SerializedName("freq_shift")
    private double freqShift = 0;

    @ConfigJson.Optional
    @SerializedName("num_class_embeds")
    private Integer numClassEmbeds = null;

    private Builder() {}

    /** {@code sample_size}: image side in pixels. */
    public Builder sampleSize(int v) {
      sampleSize = v;
      return this;
    }

    /** {@code in_channels}. */
    public Builder inChannels(int v) {
      inChannels = v;
      return this;
    }

    /** {@code out_channels}. */
    public Builder outChannels(int v) {
      outChannels = v;
      return this;
    }

    /** {@code layers_per_block}. */
    public Builder layersPerBlock(int v) {
      layersPerBlock = v;
      return this;
    }

    /** {@code block_out_channels}, one entry per level. */
    public Builder blockOutChannels(int... v) {
      blockOutChannels = v.clone();
      return this;
    }

    /** {@code down_block_types}, one per level. */
    public Builder downBlockTypes(String... v) {
      downBlockTypes = List.of(v);
      return this;
    }

    /** {@code up_block_types}, one per level, deepest first. */
    public Builder upBlockTypes(String... v) {
      upBlockTypes = List.of(v);
      return this;
    }

    /** {@code norm_num_groups}. */
    public Builder normNumGroups(int v) {
      normNumGroups = v;
      return this;
    }

    /** {@code norm_eps}. */
    public Builder normEps(double v) {
      normEps = v;
      return this;
    }

    /** {@code attention_head_dim}; {@code null} for one head per block. */
    public Builder attentionHeadDim(Integer v) {
      attentionHeadDim = v;
      return this;
    }

    /** {@code downsample_padding}. */
    public Builder downsamplePadding(int v) {
      downsamplePadding = v;
      return this;
    }

    /** {@code flip_sin_to_cos}. */
    public Builder flipSinToCos(boolean v) {
      flipSinToCos = v;
      return this;
    }

    /** {@code freq_shift}. */
    public Builder freqShift(double v) {
      freqShift = v;
      return this;
    }

    /** {@code num_class_embeds}; {@code null} for an unconditional model. */
    public Builder numClassEmbeds(Integer v) {
      numClassEmbeds = v;
      return this;
    }

    /** The validated configuration. */
    public UNetConfig build() {
      require(sampleSize != null, "sample_size must be set");
      return new UNetConfig(
          sampleSize,
          inChannels,
          outChannels,
          layersPerBlock,
          blockOutChannels,
          downBlockTypes,
          upBlockTypes,
          normNumGroups,
          normEps,
          attentionHeadDim,
          downsamplePadding,
          flipSinToCos,
          freqShift,
          numClassEmbeds);
    }
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof UNetConfig c && toJson().equals(c.toJson());
  }

  @Override
  public int hashCode() {
    return toJson().hashCode();
  }

  @Override
  public String toString() {
    return "UNetConfig" + toJson().replaceAll("\\s+", " ");
  }
}
