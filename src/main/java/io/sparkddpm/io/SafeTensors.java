package io.sparkddpm.io;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reader and writer of the safetensors format: an 8-byte little-endian header length, a JSON header
 * mapping each tensor name to {@code dtype}, {@code shape} and {@code data_offsets} (plus an
 * optional {@code __metadata__} map of strings), then the raw little-endian data.
 *
 * <p>The whole header is validated (offsets inside the file, no overlaps, byte counts equal to the
 * shapes) before any tensor is allocated, so a malformed or hostile file fails fast with a message
 * naming the file and the entry.
 *
 * <p>This is the project's own codec rather than DJL's {@code NDList.decode}: the driver keeps
 * parameters and optimizer state as plain arrays and writes checkpoints without loading libtorch.
 */
public final class SafeTensors {
  /** Largest header accepted (the reference implementation uses the same 100 MB bound). */
  static final long MAX_HEADER_BYTES = 100L << 20;

  private static final String METADATA = "__metadata__";

  private SafeTensors() {}

  /** The content of a safetensors file: tensors in header order and the string metadata. */
  public record Contents(String source, Map<String, Tensor> tensors, Map<String, String> metadata) {
    /** The tensor called {@code name}, or an error naming the file and the missing entry. */
    public Tensor get(String name) {
      Tensor t = tensors.get(name);
      if (t == null) {
        throw new IllegalArgumentException(source + ": no tensor named \"" + name + "\"");
      }
      return t;
    }
  }

  /** Reads a local safetensors file. */
  public static Contents read(Path file) throws IOException {
    return read(Files.readAllBytes(file), file.toString());
  }

  /** Reads a whole safetensors stream; {@code source} names it in error messages. */
  public static Contents read(InputStream in, String source) throws IOException {
    return read(in.readAllBytes(), source);
  }

  /** Parses safetensors bytes; {@code source} names them in error messages. */
  public static Contents read(byte[] file, String source) {
    Header header = parseHeader(file, source);
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    for (Entry e : header.entries) {
      byte[] data = new byte[(int) (e.end - e.begin)];
      System.arraycopy(file, (int) (header.dataStart + e.begin), data, 0, data.length);
      tensors.put(e.name, new Tensor(e.dtype, e.shape, data));
    }
    return new Contents(
        source, Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(header.metadata));
  }

  private record Entry(String name, DType dtype, long[] shape, long begin, long end) {}

  private record Header(List<Entry> entries, Map<String, String> metadata, long dataStart) {}

  private static Header parseHeader(byte[] file, String source) {
    if (file.length < 8) {
      throw new IllegalArgumentException(
          source + ": " + file.length + " bytes is too short for a safetensors file (needs 8+)");
    }
    long headerLen = ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    if (headerLen < 2 || headerLen > MAX_HEADER_BYTES || headerLen > file.length - 8L) {
      throw new IllegalArgumentException(
          source
              + ": header length "
              + headerLen
              + " does not fit the file of "
              + file.length
              + " bytes (truncated or not a safetensors file)");
    }
    long dataStart = 8 + headerLen;
    long dataLen = file.length - dataStart;
    JsonObject json;
    try {
      JsonElement parsed =
          JsonParser.parseString(new String(file, 8, (int) headerLen, StandardCharsets.UTF_8));
      if (!parsed.isJsonObject()) {
        throw new JsonParseException("not a JSON object");
      }
      json = parsed.getAsJsonObject();
    } catch (JsonParseException | IllegalStateException ex) {
      throw new IllegalArgumentException(
          source + ": header is not a JSON object: " + ex.getMessage());
    }

    Map<String, String> metadata = new TreeMap<>();
    List<Entry> entries = new ArrayList<>();
    for (Map.Entry<String, JsonElement> kv : json.entrySet()) {
      String name = kv.getKey();
      String where = source + ": tensor \"" + name + "\"";
      if (name.equals(METADATA)) {
        if (!kv.getValue().isJsonObject()) {
          throw new IllegalArgumentException(
              source + ": __metadata__ must be an object of strings");
        }
        for (Map.Entry<String, JsonElement> m : kv.getValue().getAsJsonObject().entrySet()) {
          if (!m.getValue().isJsonPrimitive() || !m.getValue().getAsJsonPrimitive().isString()) {
            throw new IllegalArgumentException(
                source + ": __metadata__ value of \"" + m.getKey() + "\" must be a string");
          }
          metadata.put(m.getKey(), m.getValue().getAsString());
        }
        continue;
      }
      entries.add(parseEntry(name, kv.getValue(), where, dataLen));
    }
    checkNoOverlap(entries, source);
    return new Header(entries, metadata, dataStart);
  }

  private static Entry parseEntry(String name, JsonElement value, String where, long dataLen) {
    try {
      JsonObject o = value.getAsJsonObject();
      DType dtype = DType.parse(o.get("dtype").getAsString(), where);
      JsonArray shapeJson = o.getAsJsonArray("shape");
      long[] shape = new long[shapeJson.size()];
      for (int i = 0; i < shape.length; i++) {
        shape[i] = shapeJson.get(i).getAsLong();
      }
      JsonArray offsets = o.getAsJsonArray("data_offsets");
      if (offsets.size() != 2) {
        throw new IllegalArgumentException(where + ": data_offsets must hold [begin, end]");
      }
      long begin = offsets.get(0).getAsLong();
      long end = offsets.get(1).getAsLong();
      if (begin < 0 || end < begin || end > dataLen) {
        throw new IllegalArgumentException(
            where
                + ": data_offsets ["
                + begin
                + ", "
                + end
                + "] out of range of the "
                + dataLen
                + " data bytes");
      }
      long expected;
      try {
        expected = Math.multiplyExact(Tensor.numel(shape), (long) dtype.bytes());
      } catch (IllegalArgumentException | ArithmeticException ex) {
        throw new IllegalArgumentException(
            where
                + ": shape "
                + java.util.Arrays.toString(shape)
                + " is invalid: "
                + (ex instanceof ArithmeticException
                    ? "element count overflows"
                    : ex.getMessage()));
      }
      if (end - begin != expected) {
        throw new IllegalArgumentException(
            where
                + ": shape "
                + java.util.Arrays.toString(shape)
                + " of "
                + dtype
                + " needs "
                + expected
                + " bytes but data_offsets span "
                + (end - begin));
      }
      return new Entry(name, dtype, shape, begin, end);
    } catch (NullPointerException
        | IllegalStateException
        | UnsupportedOperationException
        | ClassCastException
        | NumberFormatException ex) {
      throw new IllegalArgumentException(
          where + ": entry must have dtype (string), shape (int array), data_offsets (2 ints)");
    }
  }

  private static void checkNoOverlap(List<Entry> entries, String source) {
    List<Entry> sorted = new ArrayList<>(entries);
    // By (begin, end), so an empty tensor sharing its begin with a non-empty one sorts first and
    // is not taken for an overlap.
    sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
    for (int i = 1; i < sorted.size(); i++) {
      Entry prev = sorted.get(i - 1);
      Entry cur = sorted.get(i);
      if (cur.begin < prev.end) {
        throw new IllegalArgumentException(
            source
                + ": tensors \""
                + prev.name
                + "\" and \""
                + cur.name
                + "\" overlap (bytes "
                + cur.begin
                + ".."
                + prev.end
                + ")");
      }
    }
  }

  /** Encodes tensors (in the map's order) and metadata as safetensors bytes. */
  public static byte[] encode(Map<String, Tensor> tensors, Map<String, String> metadata) {
    JsonObject header = new JsonObject();
    if (metadata != null && !metadata.isEmpty()) {
      JsonObject m = new JsonObject();
      metadata.forEach(m::addProperty);
      header.add(METADATA, m);
    }
    long offset = 0;
    for (Map.Entry<String, Tensor> kv : tensors.entrySet()) {
      if (kv.getKey().equals(METADATA)) {
        throw new IllegalArgumentException("a tensor cannot be named " + METADATA);
      }
      Tensor t = kv.getValue();
      JsonObject o = new JsonObject();
      o.addProperty("dtype", t.dtype().name());
      JsonArray shape = new JsonArray();
      for (long d : t.shape()) {
        shape.add(d);
      }
      o.add("shape", shape);
      JsonArray offsets = new JsonArray();
      offsets.add(offset);
      offsets.add(offset + t.data().length);
      o.add("data_offsets", offsets);
      header.add(kv.getKey(), o);
      offset += t.data().length;
    }
    byte[] json = new Gson().toJson(header).getBytes(StandardCharsets.UTF_8);
    // Pad with spaces so the data starts 8-byte aligned, as the reference writer does.
    int padded = (json.length + 7) / 8 * 8;
    ByteArrayOutputStream out = new ByteArrayOutputStream((int) (8 + padded + offset));
    try {
      writeTo(out, json, padded, tensors);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return out.toByteArray();
  }

  private static void writeTo(
      OutputStream out, byte[] json, int padded, Map<String, Tensor> tensors) throws IOException {
    out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
    out.write(json);
    for (int i = json.length; i < padded; i++) {
      out.write(' ');
    }
    for (Tensor t : tensors.values()) {
      out.write(t.data());
    }
  }

  /**
   * Writes a local safetensors file atomically: to a temporary sibling first, then renamed, so a
   * crash never leaves a truncated file under the final name.
   */
  public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata)
      throws IOException {
    AtomicFiles.write(file, encode(tensors, metadata));
  }
}
