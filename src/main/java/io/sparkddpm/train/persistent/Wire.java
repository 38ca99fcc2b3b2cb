package io.sparkddpm.train.persistent;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;

/**
 * The binary framing between the driver and the persistent stage's tasks. Every frame is a
 * fixed-size little-endian header whose lengths are checked against what the run allows before
 * anything is allocated, followed by raw float or long arrays. No Java serialization: a peer can
 * only ever make the other side read numbers.
 *
 * <pre>
 * task -> driver  HELLO    magic, version, launch long, partition int, secret[32]
 * driver -> task  ACK      magic
 * driver -> task  STEP     kind, fail byte, step long, epoch int, weightsId long, n int, params int,
 *                          then n longs (the batch) and params floats (the weights)
 * driver -> task  STOP     kind, then the same header with zeros
 * task -> driver  PARTIAL  kind, count int, lossSum double, seconds double, params int,
 *                          then params floats (the gradient sum; 0 floats when count is 0)
 * </pre>
 */
final class Wire {
  private Wire() {}

  static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;
  static final int MAGIC = 0x31504444; // "DDP1" in little-endian bytes
  static final int VERSION = 1;
  static final int SECRET_BYTES = 32;
  static final int HELLO_BYTES = 4 + 4 + 8 + 4 + SECRET_BYTES;

  static final int STEP = 1;
  static final int STOP = 2;
  static final int PARTIAL = 3;
  static final int STEP_HEADER_BYTES = 4 + 1 + 8 + 4 + 8 + 4 + 4;
  static final int PARTIAL_HEADER_BYTES = 4 + 4 + 8 + 8 + 4;

  /** Called while a read waits: throws to give up (the stage failed, or the wait is too long). */
  interface Patience {
    void check() throws IOException;
  }

  /**
   * Reads exactly {@code len} bytes into {@code buf}. The socket's read timeout only makes the wait
   * wake up to ask {@code patience}; the bytes read so far are kept.
   */
  static void readFully(InputStream in, byte[] buf, int len, Patience patience) throws IOException {
    int off = 0;
    while (off < len) {
      int r;
      try {
        r = in.read(buf, off, len - off);
      } catch (SocketTimeoutException e) {
        patience.check();
        continue;
      }
      if (r < 0) {
        throw new EOFException("the peer closed the connection after " + off + " of " + len);
      }
      off += r;
    }
  }

  /**
   * Reads from {@code ch} (blocking) until {@code buf} is full. No timeout of its own: whoever
   * waits closes the channel to give up.
   */
  static void readFully(ReadableByteChannel ch, ByteBuffer buf) throws IOException {
    while (buf.hasRemaining()) {
      if (ch.read(buf) < 0) {
        throw new EOFException(
            "the peer closed the connection after " + buf.position() + " of " + buf.limit());
      }
    }
  }

  /** Writes all of {@code buf}'s remaining bytes to {@code ch} (blocking). */
  static void writeFully(WritableByteChannel ch, ByteBuffer buf) throws IOException {
    while (buf.hasRemaining()) {
      ch.write(buf);
    }
  }

  /** A little-endian view of the first {@code len} bytes of {@code buf}. */
  static ByteBuffer view(byte[] buf, int len) {
    return ByteBuffer.wrap(buf, 0, len).order(ORDER);
  }

  /** A length read from a peer, checked against the largest the run allows. */
  static int checkLength(String what, int value, int max) throws IOException {
    if (value < 0 || value > max) {
      throw new IOException(what + " " + value + " outside 0.." + max);
    }
    return value;
  }
}
