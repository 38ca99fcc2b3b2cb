package io.sparkddpm.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** UNetConfig's JSON: diffusers' defaults for missing keys, strict kinds, diffusers' metadata. */
class UNetConfigTest {

  /**
   * diffusers' own config of {@code UNet2DModel(sample_size=32)}: every other argument at its
   * default. Written by {@code UNet2DModel(sample_size=32).save_config(dir)} with diffusers 0.42.1
   * (the venv of submit/common.sh's torch_venv).
   */
  private static String diffusersDefaults() throws IOException {
    try (InputStream in =
        UNetConfigTest.class.getResourceAsStream("/diffusers/unet2d_defaults_config.json")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static String refused(String json) {
    return assertThrows(IllegalArgumentException.class, () -> UNetConfig.fromJson(json, "f.json"))
        .getMessage();
  }

  @Test
  void missingKeysTakeDiffusersDefaults() throws IOException {
    UNetConfig fromDiffusers = UNetConfig.fromJson(diffusersDefaults(), "defaults.json");
    UNetConfig minimal = UNetConfig.fromJson("{\"sample_size\": 32}", "min.json");
    assertEquals(fromDiffusers, minimal);
    assertEquals(fromDiffusers, UNetConfig.builder().sampleSize(32).build());
    // Not the tutorial's values: a diffusers user expects diffusers' defaults.
    assertEquals(3, minimal.inChannels());
    assertEquals(3, minimal.outChannels());
    assertArrayEquals(new int[] {224, 448, 672, 896}, minimal.blockOutChannels());
    assertEquals(
        List.of("AttnUpBlock2D", "AttnUpBlock2D", "AttnUpBlock2D", "UpBlock2D"),
        minimal.upBlockTypes());
    assertEquals(8, minimal.attentionHeadDim());
    // A key given overrides only itself.
    UNetConfig oneChannel = UNetConfig.fromJson("{\"sample_size\": 32, \"in_channels\": 1}", "x");
    assertEquals(minimal.toBuilder().inChannels(1).build(), oneChannel);
  }

  @Test
  void sampleSizeHasNoDefaultAndNullAttentionHeadDimIsOneHeadPerBlock() {
    assertEquals("f.json: missing key \"sample_size\"", refused("{\"in_channels\": 1}"));
    assertEquals(
        null,
        UNetConfig.fromJson("{\"sample_size\": 32, \"attention_head_dim\": null}", "x")
            .attentionHeadDim());
  }

  @Test
  void numClassEmbedsIsOptionalAndNamedInErrors() {
    assertEquals(null, UNetConfig.fromJson("{\"sample_size\": 32}", "x").numClassEmbeds());
    UNetConfig c = UNetConfig.fromJson("{\"sample_size\": 32, \"num_class_embeds\": 11}", "x");
    assertEquals(11, c.numClassEmbeds());
    assertTrue(c.conditional());
    assertTrue(c.toJson().contains("\"num_class_embeds\": 11"), c.toJson());
    assertEquals(
        "f.json: num_class_embeds must be positive or null, got 0",
        refused("{\"sample_size\": 32, \"num_class_embeds\": 0}"));
    assertEquals(
        "f.json: class_embed_type = \"timestep\" is not supported; only null (the default)",
        refused("{\"sample_size\": 32, \"class_embed_type\": \"timestep\"}"));
  }

  @Test
  void valuesMustBeOfTheKindDiffusersWrites() {
    assertEquals(
        "f.json: in_channels must be an integer, got \"1\"",
        refused("{\"sample_size\": 32, \"in_channels\": \"1\"}"));
    assertEquals(
        "f.json: in_channels must be an integer, got 1.5",
        refused("{\"sample_size\": 32, \"in_channels\": 1.5}"));
    assertEquals(
        "f.json: in_channels must be an integer, got null",
        refused("{\"sample_size\": 32, \"in_channels\": null}"));
    assertEquals(
        "f.json: block_out_channels[1] must be an integer, got \"64\"",
        refused("{\"sample_size\": 32, \"block_out_channels\": [32, \"64\", 64]}"));
    assertEquals(
        "f.json: flip_sin_to_cos must be true/false, got 1",
        refused("{\"sample_size\": 32, \"flip_sin_to_cos\": 1}"));
    assertTrue(refused("{\"sample_size\": [32, 32]}").startsWith("f.json: sample_size must be"));
  }

  @Test
  void diffusersMetadataIsIgnoredButTheClassIsChecked() {
    UNetConfig c =
        UNetConfig.fromJson(
            "{\"sample_size\": 32, \"_diffusers_version\": \"0.42.1\","
                + " \"_name_or_path\": \"google/ddpm-cifar10-32\","
                + " \"_use_default_values\": [\"act_fn\"]}",
            "x");
    assertEquals(UNetConfig.builder().sampleSize(32).build(), c);
    assertEquals(
        "f.json: _class_name is \"UNet2DConditionModel\", expected \"UNet2DModel\"",
        refused("{\"_class_name\": \"UNet2DConditionModel\", \"sample_size\": 32}"));
  }

  @Test
  void writtenJsonIsWhatItWasAndRoundTrips() {
    String json = TinyRunLike.CONFIG.toJson();
    assertTrue(json.startsWith("{\n  \"_class_name\": \"UNet2DModel\",\n"), json);
    assertTrue(json.contains("\"_diffusers_version\": \"0.40.0.dev0\""), json);
    assertTrue(json.contains("\"attention_head_dim\": null"), json);
    assertTrue(json.contains("\"num_train_timesteps\": null"), json);
    assertEquals(TinyRunLike.CONFIG, UNetConfig.fromJson(json, "round trip"));
  }

  /** A config with every field off its default. */
  private static final class TinyRunLike {
    static final UNetConfig CONFIG =
        UNetConfig.builder()
            .sampleSize(16)
            .inChannels(2)
            .outChannels(1)
            .layersPerBlock(1)
            .blockOutChannels(16, 32)
            .downBlockTypes("AttnDownBlock2D", "DownBlock2D")
            .upBlockTypes("UpBlock2D", "AttnUpBlock2D")
            .normNumGroups(8)
            .normEps(1e-6)
            .attentionHeadDim(null)
            .downsamplePadding(0)
            .flipSinToCos(false)
            .freqShift(1)
            .numClassEmbeds(11)
            .build();
  }
}
