package io.sparkddpm.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import io.sparkddpm.Reference;
import io.sparkddpm.io.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Names, shapes, counts and config handling of the UNet, with no reference numbers involved. */
class UNetStructureTest {

  @Test
  void tutorialConfigHasExactly1707009Parameters() {
    try (NDManager m = NDManager.newBaseManager()) {
      UNet2DModel model = new UNet2DModel(UNetConfig.tutorial());
      model.initialize(m);
      long total = 0;
      for (Parameter p : model.namedParameters().values()) {
        total += p.getShape().size();
      }
      assertEquals(1_707_009L, total);
    }
  }

  @Test
  void parameterNamesAndShapesEqualDiffusersStateDictInOrder() {
    List<String> expected = new ArrayList<>();
    for (String line : Reference.text("params.txt").split("\n")) {
      if (!line.isBlank()) {
        expected.add(line.trim());
      }
    }
    try (NDManager m = NDManager.newBaseManager()) {
      UNet2DModel model = new UNet2DModel(UNetConfig.tutorial());
      model.initialize(m);
      List<String> actual = new ArrayList<>();
      for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
        long[] s = e.getValue().getShape().getShape();
        StringBuilder b = new StringBuilder(e.getKey()).append(" [");
        for (int i = 0; i < s.length; i++) {
          b.append(i == 0 ? "" : ",").append(s[i]);
        }
        actual.add(b.append("]").toString());
      }
      assertEquals(expected, actual);
    }
  }

  @Test
  void referenceConfigParsesToTheTutorialConfigAndRoundTrips() {
    UNetConfig parsed = UNetConfig.fromJson(Reference.text("unet/config.json"), "config.json");
    assertEquals(UNetConfig.tutorial(), parsed);
    assertEquals(parsed, UNetConfig.fromJson(parsed.toJson(), "round trip"));
  }

  @Test
  void unsupportedConfigValuesAreRefusedNamingTheKey() {
    String base = UNetConfig.tutorial().toJson();
    var cases =
        Map.of(
            "\"act_fn\": \"silu\"", "\"act_fn\": \"gelu\"",
            "\"time_embedding_type\": \"positional\"", "\"time_embedding_type\": \"fourier\"",
            "\"norm_num_groups\": 32", "\"norm_num_groups\": 5",
            "\"resnet_time_scale_shift\": \"default\"",
                "\"resnet_time_scale_shift\": \"scale_shift\"");
    for (var c : cases.entrySet()) {
      assertTrue(base.contains(c.getKey()), c.getKey());
      String key = c.getKey().substring(1, c.getKey().indexOf('"', 1));
      var e =
          assertThrows(
              IllegalArgumentException.class,
              () -> UNetConfig.fromJson(base.replace(c.getKey(), c.getValue()), "bad.json"));
      assertTrue(e.getMessage().contains("bad.json"), e.getMessage());
      assertTrue(e.getMessage().contains(key), e.getMessage());
    }
    var unknown =
        assertThrows(
            IllegalArgumentException.class,
            () -> UNetConfig.fromJson(base.replace("{", "{\"colour\": 3,"), "bad.json"));
    assertTrue(unknown.getMessage().contains("unknown key \"colour\""), unknown.getMessage());
    var blockType =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                UNetConfig.fromJson(
                    base.replace("\"DownBlock2D\"", "\"CrossAttnDownBlock2D\""), "x"));
    assertTrue(blockType.getMessage().contains("down_block_types"), blockType.getMessage());
  }

  @Test
  void anotherConfigBuildsAndKeepsShapes() {
    // Two levels, one layer, 16 groups, one head per block, padding 0, sin first.
    UNetConfig c =
        UNetConfig.builder()
            .sampleSize(16)
            .inChannels(3)
            .outChannels(2)
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
            .build();
    try (NDManager m = NDManager.newBaseManager()) {
      UNet2DModel model = new UNet2DModel(c);
      model.initialize(m);
      UNetWeights.load(model, UNetWeights.torchDefaultInit(model, 1), "init");
      NDArray x = m.randomNormal(new Shape(2, 3, 16, 16));
      NDArray t = m.create(new float[] {3.5f, 900f});
      NDArray out = model.forward(new ParameterStore(m, false), new NDList(x, t), false).head();
      assertEquals(new Shape(2, 2, 16, 16), out.getShape());
      assertArrayEquals(
          new Shape[] {new Shape(2, 2, 16, 16)},
          model.getOutputShapes(new Shape[] {new Shape(2, 3, 16, 16), new Shape(2)}));
    }
  }

  @Test
  void stateDictRoundTripsAndLegacyAttentionNamesLoad() {
    try (NDManager m = NDManager.newBaseManager()) {
      UNet2DModel a = new UNet2DModel(UNetConfig.tutorial());
      a.initialize(m);
      Map<String, Tensor> init = UNetWeights.torchDefaultInit(a, 7);
      UNetWeights.load(a, init, "init");
      assertEquals(init, UNetWeights.export(a));

      Map<String, Tensor> legacy = new java.util.LinkedHashMap<>();
      init.forEach(
          (k, v) ->
              legacy.put(
                  k.replace(".to_q.", ".query.")
                      .replace(".to_k.", ".key.")
                      .replace(".to_v.", ".value.")
                      .replace(".to_out.0.", ".proj_attn."),
                  v));
      assertTrue(legacy.containsKey("mid_block.attentions.0.proj_attn.weight"));
      UNet2DModel b = new UNet2DModel(UNetConfig.tutorial());
      b.initialize(m);
      UNetWeights.load(b, legacy, "legacy");
      assertEquals(init, UNetWeights.export(b));
    }
  }

  @Test
  void mismatchedStateDictIsRefusedWithTheOffendingKeys() {
    try (NDManager m = NDManager.newBaseManager()) {
      UNet2DModel model = new UNet2DModel(UNetConfig.tutorial());
      model.initialize(m);
      Map<String, Tensor> sd =
          new java.util.LinkedHashMap<>(UNetWeights.torchDefaultInit(model, 1));
      sd.remove("conv_out.bias");
      var missing =
          assertThrows(IllegalArgumentException.class, () -> UNetWeights.load(model, sd, "ckpt"));
      assertTrue(missing.getMessage().contains("conv_out.bias"), missing.getMessage());
      sd.put("conv_out.bias", Tensor.ofFloats(new long[] {2}, new float[2]));
      var shape =
          assertThrows(IllegalArgumentException.class, () -> UNetWeights.load(model, sd, "ckpt"));
      assertTrue(
          shape.getMessage().contains("\"conv_out.bias\" is F32 [2], expected F32 (1)"),
          shape.getMessage());
    }
  }

  @Test
  void defaultInitFollowsTorchBoundsAndDependsOnlyOnTheSeed() {
    try (NDManager m = NDManager.newBaseManager()) {
      UNet2DModel model = new UNet2DModel(UNetConfig.tutorial());
      model.initialize(m);
      Map<String, Tensor> a = UNetWeights.torchDefaultInit(model, 3);
      assertEquals(a, UNetWeights.torchDefaultInit(model, 3));
      assertTrue(!a.equals(UNetWeights.torchDefaultInit(model, 4)));
      double bound = 1 / Math.sqrt(32 * 9); // conv1 of down block 0: fan_in 32*3*3
      float[] w = a.get("down_blocks.0.resnets.0.conv1.weight").toFloats();
      double max = 0;
      for (float v : w) {
        max = Math.max(max, Math.abs(v));
      }
      assertTrue(max <= bound && max > 0.9 * bound, "max " + max + " bound " + bound);
      for (float v : a.get("mid_block.attentions.0.group_norm.weight").toFloats()) {
        assertEquals(1f, v);
      }
    }
  }
}
