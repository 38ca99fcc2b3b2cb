package io.sparkddpm.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

/**
 * The casts of {@code --precision bf16} (TorchScript modules, since DJL 0.36 can do neither) and
 * the CPU check behind its warning.
 */
class PrecisionTest {
  @Test
  void castRoundsToBfloat16AndAutogradCarriesFloat32GradientsBack() {
    try (NDManager m = NDManager.newBaseManager()) {
      // bf16 keeps 8 significant bits: 1 + 2^-9 rounds to 1 (to even), 1 + 3 * 2^-9 to 1 + 2^-7
      float[] values = {1f + 0x1p-9f, 1f + 3 * 0x1p-9f, -2.5f, 1e-3f};
      float[] rounded = {1f, 1f + 0x1p-7f, -2.5f, 0.00099945068359375f};
      NDArray w = m.create(values).duplicate();
      w.setRequiresGradient(true);
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        NDArray bf16 = Precision.BF16.cast(w);
        assertTrue(Precision.isBf16(bf16), "reads " + bf16.getDataType());
        assertSame(bf16, Precision.BF16.cast(bf16), "a bf16 array is not cast again");
        NDArray back = Precision.toFloat32(bf16);
        assertEquals(DataType.FLOAT32, back.getDataType());
        assertArrayEquals(rounded, back.toFloatArray());
        // d/dw sum(float32(bf16(w)) * c) = c: the gradient passes both casts as float32
        float[] c = {1, 2, 3, 4};
        gc.backward(back.mul(m.create(c).duplicate()).sum());
      }
      assertEquals(DataType.FLOAT32, w.getGradient().getDataType());
      assertArrayEquals(new float[] {1, 2, 3, 4}, w.getGradient().toFloatArray());
      NDArray f = m.create(values);
      assertSame(f, Precision.FP32.cast(f), "fp32 leaves a float32 array alone");
    }
  }

  @Test
  void bf16WarnsUnlessTheCpuHasAmx() {
    String flags = "processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f avx512bw%s\n";
    assertNull(Precision.slowBf16Reason(String.format(flags, " avx512_bf16 amx_bf16 amx_tile")));
    assertNull(Precision.slowBf16Reason(null), "unknown CPU: no warning");
    assertTrue(
        Precision.slowBf16Reason(String.format(flags, " avx512_bf16 amx_tile")).contains("no AMX"));
    for (String none : new String[] {"", " avx512_bf16x", " amx_bf16x"}) {
      assertTrue(
          Precision.slowBf16Reason(String.format(flags, none)).contains("emulates"),
          "flags" + none);
    }
  }
}
