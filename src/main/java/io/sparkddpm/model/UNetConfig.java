package io.sparkddpm.model;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The subset of diffusers' {@code UNet2DModel} configuration this port supports, validated on
 * construction. Read from and written to diffusers' {@code unet/config.json}.
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
    double freqShift) {

  /** Keys diffusers writes that this port accepts only at the value it implements. */
  private static final Map<String, JsonElement> FIXED = new LinkedHashMap<>();

  static {
    FIXED.put("act_fn", JsonParser.parseString("\"silu\""));
    FIXED.put("add_attention", JsonParser.parseString("true"));
    FIXED.put("center_input_sample", JsonParser.parseString("false"));
    FIXED.put("class_embed_type", JsonNull.INSTANCE);
    FIXED.put("num_class_embeds", JsonNull.INSTANCE);
    FIXED.put("dropout", JsonParser.parseString("0.0"));
    FIXED.put("mid_block_scale_factor", JsonParser.parseString("1"));
    FIXED.put("mid_block_type", JsonParser.parseString("\"UNetMidBlock2D\""));
    FIXED.put("resnet_time_scale_shift", JsonParser.parseString("\"default\""));
    FIXED.put("time_embedding_type", JsonParser.parseString("\"positional\""));
    FIXED.put("time_embedding_dim", JsonNull.INSTANCE);
    FIXED.put("attn_norm_num_groups", JsonNull.INSTANCE);
    FIXED.put("downsample_type", JsonParser.parseString("\"conv\""));
    FIXED.put("upsample_type", JsonParser.parseString("\"conv\""));
    FIXED.put("num_train_timesteps", JsonNull.INSTANCE);
  }

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
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException("UNet config: " + message);
    }
  }

  /** The tutorial's model: 1,707,009 parameters. */
  public static UNetConfig tutorial() {
    return new UNetConfig(
        32,
        1,
        1,
        2,
        new int[] {32, 64, 64},
        List.of("DownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D"),
        List.of("AttnUpBlock2D", "AttnUpBlock2D", "UpBlock2D"),
        32,
        1e-5,
        8,
        1,
        true,
        0);
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
    JsonObject o;
    try {
      o = JsonParser.parseString(json).getAsJsonObject();
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(source + ": not a JSON object: " + e.getMessage());
    }
    UNetConfig base = tutorial();
    try {
      for (String key : o.keySet()) {
        if (key.startsWith("_")) {
          continue;
        }
        if (FIXED.containsKey(key)) {
          if (!sameValue(FIXED.get(key), o.get(key))) {
            throw new IllegalArgumentException(
                "unsupported value "
                    + o.get(key)
                    + " for \""
                    + key
                    + "\"; this port implements "
                    + FIXED.get(key));
          }
        } else if (!KNOWN.contains(key)) {
          throw new IllegalArgumentException("unknown key \"" + key + "\"");
        }
      }
      if (o.has("_class_name") && !o.get("_class_name").getAsString().equals("UNet2DModel")) {
        throw new IllegalArgumentException(
            "_class_name is " + o.get("_class_name") + ", only UNet2DModel is supported");
      }
      return new UNetConfig(
          intOr(o, "sample_size", base.sampleSize),
          intOr(o, "in_channels", base.inChannels),
          intOr(o, "out_channels", base.outChannels),
          intOr(o, "layers_per_block", base.layersPerBlock),
          o.has("block_out_channels")
              ? new GsonBuilder().create().fromJson(o.get("block_out_channels"), int[].class)
              : new int[] {224, 448, 672, 896},
          stringsOr(
              o,
              "down_block_types",
              List.of("DownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D")),
          stringsOr(
              o,
              "up_block_types",
              List.of("AttnUpBlock2D", "AttnUpBlock2D", "AttnUpBlock2D", "UpBlock2D")),
          intOr(o, "norm_num_groups", 32),
          o.has("norm_eps") ? o.get("norm_eps").getAsDouble() : 1e-5,
          o.has("attention_head_dim") && !o.get("attention_head_dim").isJsonNull()
              ? o.get("attention_head_dim").getAsInt()
              : (o.has("attention_head_dim") ? null : 8),
          intOr(o, "downsample_padding", 1),
          !o.has("flip_sin_to_cos") || o.get("flip_sin_to_cos").getAsBoolean(),
          o.has("freq_shift") ? o.get("freq_shift").getAsDouble() : 0);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(source + ": malformed UNet config: " + e, e);
    }
  }

  private static final List<String> KNOWN =
      List.of(
          "sample_size",
          "in_channels",
          "out_channels",
          "layers_per_block",
          "block_out_channels",
          "down_block_types",
          "up_block_types",
          "norm_num_groups",
          "norm_eps",
          "attention_head_dim",
          "downsample_padding",
          "flip_sin_to_cos",
          "freq_shift");

  private static boolean sameValue(JsonElement expected, JsonElement actual) {
    if (expected.isJsonPrimitive() && actual.isJsonPrimitive()) {
      var e = expected.getAsJsonPrimitive();
      var a = actual.getAsJsonPrimitive();
      if (e.isNumber() && a.isNumber()) {
        return e.getAsDouble() == a.getAsDouble();
      }
    }
    return expected.equals(actual);
  }

  private static int intOr(JsonObject o, String key, int fallback) {
    return o.has(key) ? o.get(key).getAsInt() : fallback;
  }

  private static List<String> stringsOr(JsonObject o, String key, List<String> fallback) {
    return o.has(key)
        ? Arrays.asList(new GsonBuilder().create().fromJson(o.get(key), String[].class))
        : fallback;
  }

  /** diffusers' {@code config.json}, every argument written out as {@code save_pretrained} does. */
  public String toJson() {
    JsonObject o = new JsonObject();
    o.addProperty("_class_name", "UNet2DModel");
    o.addProperty("_diffusers_version", "0.40.0.dev0");
    var gson = new GsonBuilder().create();
    o.addProperty("sample_size", sampleSize);
    o.addProperty("in_channels", inChannels);
    o.addProperty("out_channels", outChannels);
    o.addProperty("layers_per_block", layersPerBlock);
    o.add("block_out_channels", gson.toJsonTree(blockOutChannels));
    o.add("down_block_types", gson.toJsonTree(downBlockTypes));
    o.add("up_block_types", gson.toJsonTree(upBlockTypes));
    o.addProperty("norm_num_groups", normNumGroups);
    o.addProperty("norm_eps", normEps);
    o.add(
        "attention_head_dim",
        attentionHeadDim == null ? JsonNull.INSTANCE : gson.toJsonTree(attentionHeadDim));
    o.addProperty("downsample_padding", downsamplePadding);
    o.addProperty("flip_sin_to_cos", flipSinToCos);
    o.addProperty("freq_shift", freqShift);
    FIXED.forEach(o::add);
    return new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(o);
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
