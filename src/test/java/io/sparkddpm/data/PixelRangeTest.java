package io.sparkddpm.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class PixelRangeTest {
  @Test
  void endpointsMapToTheEndsOfEachRange() {
    assertEquals(-1f, PixelRange.MINUS_ONE_TO_ONE.toModel(0));
    assertEquals(1f, PixelRange.MINUS_ONE_TO_ONE.toModel(255));
    assertEquals(0f, PixelRange.ZERO_TO_ONE.toModel(0));
    assertEquals(1f, PixelRange.ZERO_TO_ONE.toModel(255));
  }

  @Test
  void toU8InvertsToModelForEveryPixelValue() {
    for (PixelRange range : PixelRange.values()) {
      for (int v = 0; v <= 255; v++) {
        assertEquals(v, range.toU8(range.toModel(v)), range + " " + v);
      }
    }
  }

  @Test
  void toU8ClampsOutOfRangeModelOutputs() {
    assertEquals(0, PixelRange.MINUS_ONE_TO_ONE.toU8(-3.5f));
    assertEquals(255, PixelRange.MINUS_ONE_TO_ONE.toU8(1.2f));
    assertEquals(255, PixelRange.ZERO_TO_ONE.toU8(7f));
    assertEquals(0, PixelRange.ZERO_TO_ONE.toU8(Float.NaN));
  }

  @Test
  void pixelValuesOutside0To255AreRejected() {
    assertThrows(IllegalArgumentException.class, () -> PixelRange.ZERO_TO_ONE.toModel(256));
  }
}
