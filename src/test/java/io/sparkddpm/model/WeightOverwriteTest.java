package io.sparkddpm.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.jni.JniUtils;
import io.sparkddpm.Reference;
import java.lang.reflect.Field;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link NDArrays#fill} writes new weights into the parameter's own libtorch storage: the values
 * arrive bit for bit, the storage address stays the same (DJL's {@code set(Buffer)} moves it to a
 * fresh Java buffer, which the test also shows, so the address check can fail), and the caller's
 * grad mode is left as it was.
 */
class WeightOverwriteTest {

  @Test
  void overwriteKeepsTheParameterStorageAndCopiesExactly() throws Exception {
    try (NDManager manager = NDManager.newBaseManager()) {
      UNet2DModel model = Reference.model(manager);
      Random r = new Random(5);
      boolean gradMode = JniUtils.isGradMode();
      for (Parameter p : model.namedParameters().values()) {
        NDArray a = p.getArray();
        assertTrue(a.hasGradient(), p.getName() + " requires grad");
        long before = address(a);
        for (int round = 0; round < 2; round++) {
          float[] values = new float[(int) a.getShape().size() + 3];
          for (int i = 0; i < values.length; i++) {
            values[i] = (float) r.nextGaussian();
          }
          NDArrays.fill(a, values, 3);
          float[] expected = java.util.Arrays.copyOfRange(values, 3, values.length);
          assertArrayEquals(expected, a.toFloatArray(), p.getName());
          assertEquals(before, address(a), p.getName() + ": storage moved");
          assertEquals(gradMode, JniUtils.isGradMode());
        }
      }
      // DJL's own setter re-points the tensor at a new buffer: what overwrite avoids.
      NDArray first = model.namedParameters().values().iterator().next().getArray();
      long before = address(first);
      first.set(new float[(int) first.getShape().size()]);
      assertNotEquals(before, address(first));
    }
  }

  @Test
  void overwriteAllFillsEveryParameterInOrderInPlace() throws Exception {
    try (NDManager manager = NDManager.newBaseManager()) {
      UNet2DModel model = Reference.model(manager);
      var params = model.namedParameters().values();
      long[] before = new long[params.size()];
      int total = 0;
      int i = 0;
      for (Parameter p : params) {
        before[i++] = address(p.getArray());
        total += (int) p.getShape().size();
      }
      Random r = new Random(7);
      boolean gradMode = JniUtils.isGradMode();
      // Rounds 0-1 without a staging buffer, 2-3 through one buffer that both reuse (the
      // executors' way); after round 3 the buffer is scribbled on, and the parameters must keep
      // their values: libtorch copied out of it, it did not keep pointing at it.
      ByteBuffer staging =
          ByteBuffer.allocateDirect(total * Float.BYTES).order(ByteOrder.nativeOrder());
      float[] flat = null;
      for (int round = 0; round < 4; round++) {
        flat = new float[total];
        for (int k = 0; k < flat.length; k++) {
          flat[k] = (float) r.nextGaussian();
        }
        UNetWeights.overwriteAll(model, flat, round < 2 ? null : staging);
        if (round == 3) {
          staging.clear();
          while (staging.hasRemaining()) {
            staging.putFloat(-1f);
          }
        }
        int offset = 0;
        i = 0;
        for (Parameter p : params) {
          int size = (int) p.getShape().size();
          assertArrayEquals(
              java.util.Arrays.copyOfRange(flat, offset, offset + size),
              p.getArray().toFloatArray(),
              p.getName());
          assertEquals(before[i++], address(p.getArray()), p.getName() + ": storage moved");
          assertTrue(p.getArray().hasGradient(), p.getName() + " still requires grad");
          offset += size;
        }
        assertEquals(gradMode, JniUtils.isGradMode());
      }
      float[] short1 = new float[total - 1];
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class, () -> UNetWeights.overwriteAll(model, short1));
      assertTrue(e.getMessage().contains((short1.length + 1) + " parameters"), e.getMessage());
      float[] last = flat;
      ByteBuffer heap = ByteBuffer.allocate(total * Float.BYTES).order(ByteOrder.nativeOrder());
      e =
          assertThrows(
              IllegalArgumentException.class, () -> UNetWeights.overwriteAll(model, last, heap));
      assertTrue(e.getMessage().contains("staging"), e.getMessage());
    }
  }

  @Test
  void flatGradientIsEveryParameterGradientInOrder() {
    try (NDManager manager = NDManager.newBaseManager()) {
      UNet2DModel model = Reference.model(manager);
      Random r = new Random(9);
      int n = 2;
      float[] x = new float[n * 1024];
      float[] eps = new float[n * 1024];
      for (int i = 0; i < x.length; i++) {
        x[i] = (float) r.nextGaussian();
        eps[i] = (float) r.nextGaussian();
      }
      float[] flat =
          io.sparkddpm.train.GradientStep.backwardForBenchmark(
                  model, manager, ai.djl.Device.cpu(), x, eps, new float[] {10, 900}, n)
              .gradSum();
      int offset = 0;
      double norm = 0;
      for (Parameter p : model.namedParameters().values()) {
        try (NDArray g = p.getArray().getGradient()) {
          float[] expected = g.toFloatArray();
          assertArrayEquals(
              expected,
              java.util.Arrays.copyOfRange(flat, offset, offset + expected.length),
              p.getName());
          offset += expected.length;
          for (float v : expected) {
            norm += v * v;
          }
        }
      }
      assertEquals(flat.length, offset);
      assertTrue(norm > 0, "a real gradient, not zeros");
      // The same vector written into a buffer, in either byte order, after 3 bytes of something
      // else.
      for (ByteOrder order : new ByteOrder[] {ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN}) {
        ByteBuffer out = ByteBuffer.allocate(3 + flat.length * Float.BYTES).order(order);
        out.position(3);
        UNetWeights.flatGradient(model, out);
        assertEquals(out.capacity(), out.position(), order + ": position after the gradient");
        float[] got = new float[flat.length];
        out.position(3);
        out.slice().order(order).asFloatBuffer().get(got);
        assertArrayEquals(flat, got, order.toString());
      }
    }
  }

  /**
   * After {@link FlatParameters#bind} the parameters hold the same values and still require grad,
   * each parameter's data sits at its offset in one block, a load writes every value in order
   * (later changes to the source array do not reach the model), and a training step on the bound
   * model gives bitwise the loss and gradient of an unbound model with the same weights.
   */
  @Test
  void flatParametersLoadWholeVectorsAndTrainLikeUnboundParameters() throws Exception {
    try (NDManager manager = NDManager.newBaseManager()) {
      UNet2DModel bound = Reference.model(manager);
      UNet2DModel plain = Reference.model(manager);
      var params = bound.namedParameters().values();
      float[][] before =
          params.stream().map(p -> p.getArray().toFloatArray()).toArray(float[][]::new);
      FlatParameters flat = FlatParameters.bind(bound, manager);
      int total = 0;
      long base = 0;
      int i = 0;
      for (Parameter p : params) {
        assertArrayEquals(before[i++], p.getArray().toFloatArray(), p.getName() + " kept");
        assertTrue(p.getArray().hasGradient(), p.getName() + " still requires grad");
        if (total == 0) {
          base = address(p.getArray());
        }
        assertEquals(base + (long) total * Float.BYTES, address(p.getArray()), p.getName());
        total += (int) p.getShape().size();
      }
      assertEquals(total, flat.size());

      Random r = new Random(11);
      boolean gradMode = JniUtils.isGradMode();
      // rounds 0-1 from a float array, 2-3 from bytes (little- then big-endian, after 8 others)
      for (int round = 0; round < 4; round++) {
        float[] values = new float[total];
        for (int k = 0; k < values.length; k++) {
          values[k] = (float) (0.05 * r.nextGaussian());
        }
        if (round < 2) {
          flat.load(values);
        } else {
          ByteOrder order = round == 2 ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN;
          // little-endian in a direct buffer (read in place where that is the native order),
          // big-endian in a heap buffer (through the staging buffer, byte-swapped)
          int bytes = 8 + total * Float.BYTES;
          ByteBuffer frame =
              (round == 2 ? ByteBuffer.allocateDirect(bytes) : ByteBuffer.allocate(bytes))
                  .order(order);
          frame.position(8);
          frame.asFloatBuffer().put(values);
          flat.load(frame);
          assertEquals(8, frame.position(), "the caller's buffer is left as it was");
          for (int k = 0; k < bytes; k++) {
            frame.put(k, (byte) 0x7f); // the model holds a copy, also of a buffer read in place
          }
        }
        UNetWeights.overwriteAll(plain, values);
        java.util.Arrays.fill(values, Float.NaN); // the model holds a copy
        int offset = 0;
        for (var e : bound.namedParameters().entrySet()) {
          float[] got = e.getValue().getArray().toFloatArray();
          float[] want = plain.namedParameters().get(e.getKey()).getArray().toFloatArray();
          assertArrayEquals(want, got, e.getKey());
          offset += got.length;
        }
        assertEquals(total, offset);
        assertEquals(gradMode, JniUtils.isGradMode());
      }

      float[] x = new float[2 * 1024];
      float[] eps = new float[2 * 1024];
      for (int k = 0; k < x.length; k++) {
        x[k] = (float) r.nextGaussian();
        eps[k] = (float) r.nextGaussian();
      }
      float[] t = {10, 900};
      var a =
          io.sparkddpm.train.GradientStep.backwardForBenchmark(
              bound, manager, ai.djl.Device.cpu(), x, eps, t, 2);
      var b =
          io.sparkddpm.train.GradientStep.backwardForBenchmark(
              plain, manager, ai.djl.Device.cpu(), x, eps, t, 2);
      assertEquals(b.lossSum(), a.lossSum());
      assertArrayEquals(b.gradSum(), a.gradSum());
      assertTrue(a.lossSum() > 0, "a real loss");

      int size = total;
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> flat.load(new float[size - 1]));
      assertTrue(e.getMessage().contains(size + " parameters"), e.getMessage());
    }
  }

  /** Address of the tensor's data, read from the direct buffer DJL maps over it. */
  private static long address(NDArray a) throws ReflectiveOperationException {
    Buffer b = a.toByteBuffer(true);
    assertTrue(b.isDirect());
    Field f = Buffer.class.getDeclaredField("address");
    f.setAccessible(true);
    return f.getLong(b);
  }
}
