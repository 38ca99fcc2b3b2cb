package io.sparkddpm.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A named, typed, shaped block of little-endian bytes: one entry of a safetensors file.
 *
 * @param dtype element type
 * @param shape dimensions; {@code []} for a scalar
 * @param data raw little-endian bytes, {@code numel * dtype.bytes()} of them
 */
public record Tensor(DType dtype, long[] shape, byte[] data) {

  /** Validates that the byte count matches the shape. */
  public Tensor {
    long n = numel(shape);
    if (n * dtype.bytes() != data.length) {
      throw new IllegalArgumentException(
          "tensor of dtype "
              + dtype
              + " and shape "
              + Arrays.toString(shape)
              + " needs "
              + n * dtype.bytes()
              + " bytes, got "
              + data.length);
    }
  }

  /** Number of elements of a shape; negative dimensions are refused. */
  public static long numel(long[] shape) {
    long n = 1;
    for (long d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
      }
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  /** Number of elements. */
  public long numel() {
    return numel(shape);
  }

  private ByteBuffer le() {
    return ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
  }

  private void require(DType expected) {
    if (dtype != expected) {
      throw new IllegalStateException("tensor has dtype " + dtype + ", expected " + expected);
    }
  }

  /** The elements of an F32 tensor. */
  public float[] toFloats() {
    require(DType.F32);
    float[] out = new float[data.length / 4];
    le().asFloatBuffer().get(out);
    return out;
  }

  /** The elements of an F64 tensor. */
  public double[] toDoubles() {
    require(DType.F64);
    double[] out = new double[data.length / 8];
    le().asDoubleBuffer().get(out);
    return out;
  }

  /** The elements of an I64 tensor. */
  public long[] toLongs() {
    require(DType.I64);
    long[] out = new long[data.length / 8];
    le().asLongBuffer().get(out);
    return out;
  }

  /** The elements of an I32 tensor. */
  public int[] toInts() {
    require(DType.I32);
    int[] out = new int[data.length / 4];
    le().asIntBuffer().get(out);
    return out;
  }

  /** The elements of a U8 tensor, each as 0..255. */
  public int[] toUnsignedBytes() {
    require(DType.U8);
    int[] out = new int[data.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = data[i] & 0xFF;
    }
    return out;
  }

  /** An F32 tensor holding {@code values}. */
  public static Tensor ofFloats(long[] shape, float[] values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(values);
    return new Tensor(DType.F32, shape.clone(), b.array());
  }

  /** An F64 tensor holding {@code values}. */
  public static Tensor ofDoubles(long[] shape, double[] values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    b.asDoubleBuffer().put(values);
    return new Tensor(DType.F64, shape.clone(), b.array());
  }

  /** An I64 tensor holding {@code values}. */
  public static Tensor ofLongs(long[] shape, long[] values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    b.asLongBuffer().put(values);
    return new Tensor(DType.I64, shape.clone(), b.array());
  }

  /** An I32 tensor holding {@code values}. */
  public static Tensor ofInts(long[] shape, int[] values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asIntBuffer().put(values);
    return new Tensor(DType.I32, shape.clone(), b.array());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Tensor t
        && t.dtype == dtype
        && Arrays.equals(t.shape, shape)
        && Arrays.equals(t.data, data);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * dtype.hashCode() + Arrays.hashCode(shape)) + Arrays.hashCode(data);
  }

  @Override
  public String toString() {
    return "Tensor[" + dtype + " " + Arrays.toString(shape) + "]";
  }
}
