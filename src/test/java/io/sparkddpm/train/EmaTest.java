package io.sparkddpm.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.sparkddpm.base.BadInputException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Ema} against diffusers' {@code EMAModel} (diffusers 0.42.1, torch 2.7.1) with {@code
 * use_ema_warmup}: decays and shadow parameters of 24 updates, for train_unconditional.py's
 * defaults and two cases where the bounds and a late start act ({@code ema/ema_model.json}, written
 * by {@code ema/ema_model.py}).
 */
class EmaTest {
  @TempDir Path work;

  /** Python and Java compute the same double expression; pow may differ in the last bit. */
  private static final double DECAY_RELATIVE = 1e-15;

  @Test
  void warmupEmaEqualsDiffusersEmaModelUpdateByUpdate() throws Exception {
    JsonObject ref;
    try (InputStream in = getClass().getResourceAsStream("/ema/ema_model.json")) {
      ref =
          JsonParser.parseReader(new InputStreamReader(in, StandardCharsets.UTF_8))
              .getAsJsonObject();
    }
    int compared = 0;
    for (JsonElement e : ref.getAsJsonArray("cases")) {
      JsonObject c = e.getAsJsonObject();
      Ema ema =
          Ema.warmup(
              c.get("inv_gamma").getAsDouble(),
              c.get("power").getAsDouble(),
              c.get("max_decay").getAsDouble(),
              c.get("min_decay").getAsDouble(),
              c.get("update_after_step").getAsLong());
      float[] shadow = floats(c.getAsJsonArray("initial"));
      JsonArray decays = c.getAsJsonArray("decays");
      for (int k = 0; k < decays.size(); k++) {
        String where = c.get("update_after_step") + "/" + c.get("max_decay") + " update " + (k + 1);
        double want = decays.get(k).getAsDouble();
        assertEquals(want, ema.decay(k + 1), Math.abs(want) * DECAY_RELATIVE, where);
        ema.update(shadow, floats(c.getAsJsonArray("params").get(k).getAsJsonArray()), k + 1);
        float[] expected = floats(c.getAsJsonArray("shadow").get(k).getAsJsonArray());
        for (int i = 0; i < expected.length; i++) {
          // float32 arithmetic in the same order as torch's: bitwise equal
          assertEquals(expected[i], shadow[i], 0f, where + " value " + i);
        }
        compared++;
      }
    }
    assertEquals(72, compared);
  }

  @Test
  void firstUpdateCopiesTheWeightsAndTheDecayReachesDiffusersFigures() {
    Ema ema = Ema.warmup(1.0, 0.75, 0.9999, 0, 0);
    assertEquals(0.0, ema.decay(1));
    // crowsonkb's note in EMAModel: power 3/4 reaches 0.999 at 10k steps, 0.9999 at 215.4k
    assertEquals(0.999, ema.decay(10_001), 1e-6);
    assertTrue(ema.decay(215_000) < 0.9999 && ema.decay(216_000) == 0.9999);
  }

  @Test
  void constantDecayIsTheOlderEmaDecayOption() {
    Ema ema = Ema.constant(0.9);
    float[] shadow = {1f, -2f};
    ema.update(shadow, new float[] {3f, 2f}, 1);
    assertEquals(0.9f * 1f + (1 - 0.9f) * 3f, shadow[0], 0f);
    assertEquals(0.9f * -2f + (1 - 0.9f) * 2f, shadow[1], 0f);
    assertEquals(0.9, ema.decay(1));
  }

  @Test
  void emaOptionsDefaultToTrainUnconditionalsAndConflictsAreUsageErrors() throws Exception {
    TrainConfig off = TinyRun.config(work, "x");
    assertNull(off.ema());
    TrainConfig on = TinyRun.config(work, "x", "--use-ema");
    assertEquals(1.0, on.emaInvGamma());
    assertEquals(0.75, on.emaPower());
    assertEquals(0.9999, on.emaMaxDecay());
    assertEquals(0.0, on.emaMinDecay());
    assertEquals(0, on.emaUpdateAfterStep());
    assertEquals(Ema.warmup(1.0, 0.75, 0.9999, 0, 0).decay(7), on.ema().decay(7));
    String[][] bad = {
      {"--use-ema", "--ema-decay", "0.9", "--use-ema and --ema-decay"},
      {"--ema-min-decay", "0.5", "--ema-max-decay", "0.4", "--ema-min-decay 0.5 is above"},
      {"--ema-power", "0", "--ema-power must be"},
      {"--ema-max-decay", "1.5", "--ema-max-decay must be in [0, 1]"},
      {"--gradient-accumulation-steps", "0", "--gradient-accumulation-steps must be >= 1"},
    };
    for (String[] c : bad) {
      String[] args = java.util.Arrays.copyOf(c, c.length - 1);
      BadInputException e =
          assertThrows(BadInputException.class, () -> TinyRun.config(work, "x", args));
      assertTrue(e.getMessage().contains(c[c.length - 1]), e.getMessage());
    }
  }

  private static float[] floats(JsonArray a) {
    float[] f = new float[a.size()];
    for (int i = 0; i < f.length; i++) {
      f[i] = a.get(i).getAsFloat();
    }
    return f;
  }
}
