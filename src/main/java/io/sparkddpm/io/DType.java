package io.sparkddpm.io;

/** Element types of the safetensors format that this project reads and writes. */
public enum DType {
  F64(8),
  F32(4),
  I64(8),
  I32(4),
  I16(2),
  U8(1),
  I8(1),
  BOOL(1);

  private final int bytes;

  DType(int bytes) {
    this.bytes = bytes;
  }

  /** Size of one element in bytes. */
  public int bytes() {
    return bytes;
  }

  /** The dtype named {@code name} in a safetensors header, or an error listing the known ones. */
  public static DType parse(String name, String where) {
    for (DType d : values()) {
      if (d.name().equals(name)) {
        return d;
      }
    }
    throw new IllegalArgumentException(
        where
            + ": unknown dtype \""
            + name
            + "\"; expected one of "
            + java.util.Arrays.toString(values()));
  }
}
