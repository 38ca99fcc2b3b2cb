package io.sparkddpm.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * {@link LrSchedule} against {@code diffusers.optimization.get_scheduler} (diffusers 0.42.1): the
 * learning rate of each of 103 updates of a 100-step run, for every schedule with warm-ups of 0, 1,
 * 10 and 120 steps and a few other lr / cycles / power values ({@code lr/lr_schedules.json},
 * written by {@code lr/lr_schedules.py}).
 */
class LrScheduleTest {
  /**
   * Python and Java compute the same double expressions; cos and pow may differ in the last bit.
   */
  private static final double MAX_RELATIVE = 1e-15;

  @Test
  void everyScheduleEqualsDiffusersStepByStep() throws Exception {
    JsonObject ref;
    try (InputStream in = getClass().getResourceAsStream("/lr/lr_schedules.json")) {
      ref =
          JsonParser.parseReader(new InputStreamReader(in, StandardCharsets.UTF_8))
              .getAsJsonObject();
    }
    Set<LrSchedule.Kind> seen = EnumSet.noneOf(LrSchedule.Kind.class);
    int compared = 0;
    for (JsonElement e : ref.getAsJsonArray("cases")) {
      JsonObject c = e.getAsJsonObject();
      LrSchedule schedule =
          new LrSchedule(
              LrSchedule.Kind.of(c.get("name").getAsString()),
              c.get("lr").getAsDouble(),
              c.get("warmup").getAsLong(),
              c.get("total").getAsLong(),
              c.get("cycles").getAsInt(),
              c.get("power").getAsDouble());
      seen.add(schedule.kind());
      JsonArray lrs = c.getAsJsonArray("lrs");
      for (int step = 0; step < lrs.size(); step++) {
        double expected = lrs.get(step).getAsDouble();
        double actual = schedule.at(step);
        assertEquals(
            expected,
            actual,
            Math.abs(expected) * MAX_RELATIVE,
            () -> c.get("name") + " warmup " + c.get("warmup") + " differs from diffusers");
        compared++;
      }
    }
    assertEquals(EnumSet.allOf(LrSchedule.Kind.class), seen);
    assertTrue(compared > 2000, compared + " values compared");
  }

  @Test
  void warmupRisesFromZeroAndDecayingSchedulesEndNearZero() {
    LrSchedule cosine = new LrSchedule(LrSchedule.Kind.COSINE, 1e-3, 10, 100, 1, 1);
    assertEquals(0.0, cosine.at(0));
    assertEquals(5e-4, cosine.at(5), 1e-18);
    assertEquals(1e-3, cosine.at(10), 1e-18);
    assertTrue(cosine.at(99) < 1e-6, "last cosine step " + cosine.at(99));
    LrSchedule linear = new LrSchedule(LrSchedule.Kind.LINEAR, 1e-3, 0, 100, 1, 1);
    assertEquals(1e-5, linear.at(99), 1e-18);
  }

  @Test
  void unknownNameAndPolynomialBelowItsEndAreRefused() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> LrSchedule.Kind.of("exponential"));
    assertTrue(e.getMessage().contains("cosine_with_restarts"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> new LrSchedule(LrSchedule.Kind.POLYNOMIAL, 1e-8, 0, 100, 1, 1));
  }
}
