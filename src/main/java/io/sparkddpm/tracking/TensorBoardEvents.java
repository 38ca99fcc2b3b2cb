package io.sparkddpm.tracking;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.zip.CRC32C;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.ChecksumFileSystem;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A TensorBoard event file ({@code events.out.tfevents.<seconds>.<host>.spark-ddpm}) on any Hadoop
 * file system: TFRecord framing (little-endian length, masked CRC-32C of the length, the record,
 * masked CRC-32C of the record) around {@code tensorflow.Event} protobufs, which are encoded here
 * by hand: the four fields of Event, Summary, Summary.Value and Summary.Image that scalars and
 * images need (no protobuf-java, whose version would have to agree with Spark's).
 *
 * <p>Records reach the file system at each {@link #flush} (HDFS: hflush, readers see them at once);
 * an object store shows the file when it is closed. A resumed run writes a new file into the same
 * folder, which TensorBoard reads as one run.
 */
public final class TensorBoardEvents implements Closeable {
  private final FileSystem fs;
  private final FSDataOutputStream out;
  private final Path file;

  /** Opens a new event file in {@code dir}, writing the header event TensorBoard expects. */
  public TensorBoardEvents(Configuration conf, Path dir) throws IOException {
    FileSystem shared = dir.getFileSystem(conf);
    // A local file system writes a ".<name>.crc" beside each file; TensorBoard would try to read
    // that one too (it takes every name containing "tfevents"), so write past the checksums.
    fs = shared instanceof ChecksumFileSystem c ? c.getRawFileSystem() : shared;
    fs.mkdirs(dir);
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      host = "localhost";
    }
    long seconds = System.currentTimeMillis() / 1000;
    Path candidate = new Path(dir, "events.out.tfevents." + seconds + "." + host + ".spark-ddpm");
    for (int i = 1; fs.exists(candidate); i++) { // two files in one second: a resume, a retry
      candidate = new Path(dir, "events.out.tfevents." + seconds + "." + host + ".spark-ddpm" + i);
    }
    file = candidate;
    out = fs.create(file, false);
    Proto event = new Proto().double1(1, now()).string(3, "brain.Event:2");
    write(event.bytes());
    flush();
  }

  /** The file being written. */
  public Path file() {
    return file;
  }

  /** One event with a scalar per entry ({@code simple_value}) at {@code step}. */
  public void scalars(long step, Map<String, Double> values) throws IOException {
    Proto summary = new Proto();
    values.forEach(
        (tag, value) ->
            summary.message(1, new Proto().string(1, tag).float2(2, value.floatValue())));
    write(new Proto().double1(1, now()).int64(2, step).message(5, summary).bytes());
  }

  /**
   * One event with the image summary {@code tag} at {@code step}: the PNG as it is, its size and
   * colour channels read from its header.
   */
  public void image(long step, String tag, byte[] png) throws IOException {
    ByteBuffer header = ByteBuffer.wrap(png);
    if (png.length < 26 || header.getLong(0) != 0x89504E470D0A1A0AL) {
      throw new IllegalArgumentException(tag + ": not a PNG");
    }
    int channels =
        switch (png[25]) {
          case 0 -> 1; // grey
          case 4 -> 2; // grey + alpha
          case 6 -> 4; // RGBA
          default -> 3; // RGB, palette
        };
    Proto image =
        new Proto()
            .int64(1, header.getInt(20)) // height
            .int64(2, header.getInt(16)) // width
            .int64(3, channels)
            .bytes(4, png);
    Proto summary = new Proto().message(1, new Proto().string(1, tag).message(4, image));
    write(new Proto().double1(1, now()).int64(2, step).message(5, summary).bytes());
  }

  /** Makes what was written visible to readers (hflush on HDFS). */
  public void flush() throws IOException {
    out.hflush();
  }

  @Override
  public void close() throws IOException {
    out.close();
  }

  private void write(byte[] record) throws IOException {
    ByteBuffer header = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
    header.putLong(record.length);
    header.putInt(maskedCrc(header.array(), 0, 8));
    out.write(header.array());
    out.write(record);
    ByteBuffer footer = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
    footer.putInt(maskedCrc(record, 0, record.length));
    out.write(footer.array());
  }

  /** TFRecord's checksum: CRC-32C rotated right by 15 bits plus a constant. */
  static int maskedCrc(byte[] bytes, int offset, int length) {
    CRC32C crc = new CRC32C();
    crc.update(bytes, offset, length);
    int c = (int) crc.getValue();
    return ((c >>> 15) | (c << 17)) + 0xa282ead8;
  }

  private static double now() {
    return System.currentTimeMillis() / 1000.0;
  }

  /** The protobuf wire format of the few field kinds an event needs. */
  static final class Proto {
    private final ByteArrayOutputStream buf = new ByteArrayOutputStream();

    Proto double1(int field, double value) {
      tag(field, 1);
      long bits = Double.doubleToRawLongBits(value);
      for (int i = 0; i < 8; i++) {
        buf.write((int) (bits >>> (8 * i)));
      }
      return this;
    }

    Proto float2(int field, float value) {
      tag(field, 5);
      int bits = Float.floatToRawIntBits(value);
      for (int i = 0; i < 4; i++) {
        buf.write(bits >>> (8 * i));
      }
      return this;
    }

    Proto int64(int field, long value) {
      tag(field, 0);
      varint(value);
      return this;
    }

    Proto string(int field, String value) {
      return bytes(field, value.getBytes(StandardCharsets.UTF_8));
    }

    Proto bytes(int field, byte[] value) {
      tag(field, 2);
      varint(value.length);
      buf.writeBytes(value);
      return this;
    }

    Proto message(int field, Proto value) {
      return bytes(field, value.bytes());
    }

    byte[] bytes() {
      return buf.toByteArray();
    }

    private void tag(int field, int wireType) {
      varint(((long) field << 3) | wireType);
    }

    private void varint(long v) {
      while ((v & ~0x7FL) != 0) {
        buf.write((int) ((v & 0x7F) | 0x80));
        v >>>= 7;
      }
      buf.write((int) v);
    }
  }
}
