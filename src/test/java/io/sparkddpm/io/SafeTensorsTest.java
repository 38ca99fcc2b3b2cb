package io.sparkddpm.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SafeTensorsTest {

  private static final String UNET = "unet/diffusion_pytorch_model.safetensors";
  private static final String SRC = "crafted.safetensors";

  // ---------------------------------------------------------------- helpers

  private static byte[] resource(String name) {
    String path = "/reference/" + name;
    try (InputStream in = SafeTensorsTest.class.getResourceAsStream(path)) {
      assertNotNull(in, path + " is not on the test classpath");
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static SafeTensors.Contents reference(String name) {
    return SafeTensors.read(resource(name), "/reference/" + name);
  }

  private static byte[] le64(long v) {
    return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array();
  }

  /** A file made of an explicit header length, header text and data bytes. */
  private static byte[] raw(long headerLen, String header, int dataBytes) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(le64(headerLen));
    out.writeBytes(header.getBytes(StandardCharsets.UTF_8));
    out.writeBytes(new byte[dataBytes]);
    return out.toByteArray();
  }

  /** A file with a correct header length for {@code header} and {@code dataBytes} zero bytes. */
  private static byte[] file(String header, int dataBytes) {
    return raw(header.getBytes(StandardCharsets.UTF_8).length, header, dataBytes);
  }

  private static long[] shape(long... dims) {
    return dims;
  }

  private static long headerLength(byte[] file) {
    return ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
  }

  private static Tensor u8(long[] shape, int... values) {
    byte[] b = new byte[values.length];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) values[i];
    }
    return new Tensor(DType.U8, shape, b);
  }

  private static long sumOfFloats(SafeTensors.Contents c) {
    long n = 0;
    for (Tensor t : c.tensors().values()) {
      if (t.dtype() == DType.F32) {
        n += t.numel();
      }
    }
    return n;
  }

  /** Tensors covering every dtype we write and the awkward float bit patterns. */
  private static Map<String, Tensor> awkwardTensors() {
    Map<String, Tensor> m = new LinkedHashMap<>();
    float[] floats = {
      Float.intBitsToFloat(0x7fc00001), // quiet NaN with a payload
      Float.intBitsToFloat(0x7f800001), // signalling NaN
      Float.intBitsToFloat(0xffc12345), // negative NaN with a payload
      -0.0f,
      0.0f,
      Float.MIN_VALUE, // smallest subnormal
      Float.intBitsToFloat(0x007fffff), // largest subnormal
      Float.MIN_NORMAL,
      Float.MAX_VALUE,
      Float.POSITIVE_INFINITY,
      Float.NEGATIVE_INFINITY,
      1.5f
    };
    m.put("f32.awkward", Tensor.ofFloats(shape(3, 4), floats));
    m.put(
        "f64",
        Tensor.ofDoubles(
            shape(5),
            new double[] {
              Double.longBitsToDouble(0x7ff8000000000123L),
              -0.0,
              Double.MIN_VALUE,
              Double.NEGATIVE_INFINITY,
              Math.PI
            }));
    m.put("i64", Tensor.ofLongs(shape(2, 2), new long[] {Long.MIN_VALUE, -1, 0, Long.MAX_VALUE}));
    m.put("i32", Tensor.ofInts(shape(3), new int[] {Integer.MIN_VALUE, -7, Integer.MAX_VALUE}));
    m.put("u8", u8(shape(2, 3), 0, 1, 127, 128, 254, 255)); // odd byte count: next tensor unaligned
    m.put("scalar", Tensor.ofFloats(shape(), new float[] {42.25f}));
    m.put("empty", Tensor.ofFloats(shape(0), new float[0]));
    m.put("empty.2d", Tensor.ofLongs(shape(3, 0), new long[0]));
    m.put("ünïcode name <&>", Tensor.ofInts(shape(1), new int[] {7}));
    return m;
  }

  private static Map<String, String> sortedMetadata() {
    Map<String, String> meta = new TreeMap<>();
    meta.put("format", "pt");
    meta.put("note", "quotes \" backslash \\ newline \n unicode é");
    meta.put("step", "1234");
    return meta;
  }

  private static void assertSameContents(Map<String, Tensor> expected, SafeTensors.Contents got) {
    assertEquals(new ArrayList<>(expected.keySet()), new ArrayList<>(got.tensors().keySet()));
    for (Map.Entry<String, Tensor> e : expected.entrySet()) {
      Tensor want = e.getValue();
      Tensor have = got.get(e.getKey());
      assertEquals(want.dtype(), have.dtype(), e.getKey());
      assertArrayEquals(want.shape(), have.shape(), e.getKey());
      assertArrayEquals(want.data(), have.data(), e.getKey());
      assertEquals(want, have, e.getKey());
    }
  }

  // ---------------------------------------------------------------- reference files

  @Test
  void readsEveryReferenceFile() {
    for (String name :
        List.of(
            "ddpm.safetensors",
            "ddim.safetensors",
            "pipeline.safetensors",
            "unet_io.safetensors",
            "mnist_resize.safetensors",
            UNET)) {
      SafeTensors.Contents c = reference(name);
      assertEquals("/reference/" + name, c.source());
      assertTrue(c.tensors().size() > 0, name);
      for (Map.Entry<String, Tensor> e : c.tensors().entrySet()) {
        Tensor t = e.getValue();
        assertEquals(t.numel() * t.dtype().bytes(), t.data().length, name + " " + e.getKey());
      }
    }
  }

  @Test
  void unetWeightsHave318TensorsTotalling1707009FloatsAndPtMetadata() {
    SafeTensors.Contents c = reference(UNET);
    assertEquals(318, c.tensors().size());
    assertEquals(1_707_009L, sumOfFloats(c));
    c.tensors().values().forEach(t -> assertEquals(DType.F32, t.dtype()));
    assertEquals(Map.of("format", "pt"), c.metadata());
    assertArrayEquals(shape(32, 1, 3, 3), c.get("conv_in.weight").shape());
  }

  @Test
  void readingFromPathAndStreamMatchesReadingBytes(@TempDir Path dir) throws IOException {
    byte[] bytes = resource("unet_io.safetensors");
    Path p = dir.resolve("unet_io.safetensors");
    Files.write(p, bytes);
    SafeTensors.Contents fromBytes = SafeTensors.read(bytes, "x");
    SafeTensors.Contents fromPath = SafeTensors.read(p);
    assertEquals(p.toString(), fromPath.source());
    assertSameContents(fromBytes.tensors(), fromPath);
    try (InputStream in = Files.newInputStream(p)) {
      assertSameContents(fromBytes.tensors(), SafeTensors.read(in, "stream"));
    }
  }

  @Test
  void unetIoTimestepsAreI64Of0_10_500_999() {
    Tensor t = reference("unet_io.safetensors").get("timesteps");
    assertEquals(DType.I64, t.dtype());
    assertArrayEquals(shape(4), t.shape());
    assertArrayEquals(new long[] {0, 10, 500, 999}, t.toLongs());
  }

  @Test
  void mnistResizeHoldsRawDigitsLabelsAndPilCoefficients() {
    SafeTensors.Contents c = reference("mnist_resize.safetensors");

    Tensor raw = c.get("raw");
    assertEquals(DType.U8, raw.dtype());
    assertArrayEquals(shape(16, 28, 28), raw.shape());
    int[] pixels = raw.toUnsignedBytes();
    assertEquals(16 * 28 * 28, pixels.length);
    assertTrue(java.util.Arrays.stream(pixels).anyMatch(v -> v > 127), "U8 read as unsigned");

    Tensor labels = c.get("labels");
    assertEquals(DType.I64, labels.dtype());
    assertArrayEquals(shape(16), labels.shape());
    assertArrayEquals(
        new long[] {5, 0, 4, 1, 9, 2, 1, 3, 1, 4, 3, 5, 3, 6, 1, 7}, labels.toLongs());

    Tensor coeffs = c.get("pil_coeffs_q22");
    assertEquals(DType.I32, coeffs.dtype());
    assertArrayEquals(shape(32, 28), coeffs.shape());
    int[] q = coeffs.toInts();
    for (int row = 0; row < 32; row++) {
      long sum = 0;
      for (int col = 0; col < 28; col++) {
        sum += q[row * 28 + col];
      }
      assertEquals(1L << 22, sum, "row " + row);
    }
  }

  @Test
  void ddpmFiveStepTimestepsAre800DownTo0() {
    Tensor t = reference("ddpm.safetensors").get("timesteps_5");
    assertEquals(DType.I64, t.dtype());
    assertArrayEquals(shape(5), t.shape());
    assertArrayEquals(new long[] {800, 600, 400, 200, 0}, t.toLongs());
  }

  // ---------------------------------------------------------------- round trip

  @Test
  void roundTripIsBitExactForAllDtypesAndAwkwardValues() {
    Map<String, Tensor> tensors = awkwardTensors();
    Map<String, String> meta = sortedMetadata();
    byte[] bytes = SafeTensors.encode(tensors, meta);
    SafeTensors.Contents c = SafeTensors.read(bytes, "roundtrip");

    assertSameContents(tensors, c);
    assertEquals(meta, c.metadata());
    // NaN payloads survive decoding into Java floats too (no canonicalisation).
    float[] f = c.get("f32.awkward").toFloats();
    assertEquals(0x7fc00001, Float.floatToRawIntBits(f[0]));
    assertEquals(0x7f800001, Float.floatToRawIntBits(f[1]));
    assertEquals(0xffc12345, Float.floatToRawIntBits(f[2]));
    assertEquals(0x80000000, Float.floatToRawIntBits(f[3]));
    assertEquals(0x7ff8000000000123L, Double.doubleToRawLongBits(c.get("f64").toDoubles()[0]));
    assertArrayEquals(shape(), c.get("scalar").shape());
    assertEquals(1, c.get("scalar").numel());
    assertEquals(0, c.get("empty").data().length);

    // Re-encoding what was decoded yields the very same bytes.
    assertArrayEquals(bytes, SafeTensors.encode(c.tensors(), c.metadata()));
  }

  @Test
  void roundTripWithoutMetadataWritesNoMetadataEntry() {
    Map<String, Tensor> tensors = Map.of("x", Tensor.ofFloats(shape(2), new float[] {1, 2}));
    for (Map<String, String> meta : java.util.Arrays.asList(null, Map.<String, String>of())) {
      byte[] bytes = SafeTensors.encode(tensors, meta);
      String header = new String(bytes, 8, (int) headerLength(bytes), StandardCharsets.UTF_8);
      assertTrue(!header.contains("__metadata__"), header);
      SafeTensors.Contents c = SafeTensors.read(bytes, "nometa");
      assertEquals(Map.of(), c.metadata());
      assertSameContents(tensors, c);
    }
  }

  @Test
  void emptyTensorMapRoundTrips() {
    byte[] bytes = SafeTensors.encode(Map.of(), Map.of("k", "v"));
    SafeTensors.Contents c = SafeTensors.read(bytes, "none");
    assertEquals(0, c.tensors().size());
    assertEquals(Map.of("k", "v"), c.metadata());
  }

  @Test
  void reEncodingTheReferenceUnetReadsBackEqualTensors() {
    SafeTensors.Contents original = reference(UNET);
    byte[] bytes = SafeTensors.encode(original.tensors(), original.metadata());
    SafeTensors.Contents back = SafeTensors.read(bytes, "re-encoded unet");
    assertSameContents(original.tensors(), back);
    assertEquals(original.metadata(), back.metadata());
    assertArrayEquals(bytes, SafeTensors.encode(back.tensors(), back.metadata()));
  }

  @Test
  void encodeRefusesATensorNamedMetadata() {
    Map<String, Tensor> m = Map.of("__metadata__", Tensor.ofFloats(shape(1), new float[] {1}));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> SafeTensors.encode(m, null));
    assertTrue(e.getMessage().contains("__metadata__"), e.getMessage());
  }

  // ---------------------------------------------------------------- layout

  @Test
  void headerIsPaddedSoDataStartsEightByteAligned() {
    // Try several name lengths so the unpadded JSON length hits every residue mod 8.
    for (int len = 1; len <= 16; len++) {
      String name = "t".repeat(len);
      Map<String, Tensor> tensors = Map.of(name, Tensor.ofFloats(shape(2), new float[] {1, 2}));
      byte[] bytes = SafeTensors.encode(tensors, Map.of());
      long n = headerLength(bytes);
      assertEquals(0, n % 8, "header length " + n + " for name length " + len);
      assertEquals(0, (8 + n) % 8);
      assertEquals(8 + n + 8, bytes.length);
      String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
      assertTrue(header.startsWith("{"), header);
      assertTrue(header.stripTrailing().endsWith("}"), header);
      assertTrue(header.substring(header.lastIndexOf('}') + 1).isBlank(), "padding is spaces");
      // The data section begins exactly after the padded header.
      assertEquals(
          1.0f, ByteBuffer.wrap(bytes, (int) (8 + n), 4).order(ByteOrder.LITTLE_ENDIAN).getFloat());
    }
  }

  // ---------------------------------------------------------------- DJL interop

  @Test
  void djlDecodesWhatWeWrite() throws IOException {
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    float[] a = {1.5f, -2.25f, 0f, -0.0f, Float.MAX_VALUE, Float.MIN_VALUE};
    tensors.put("weights.a", Tensor.ofFloats(shape(2, 3), a));
    long[] steps = {999, 500, 10, 0};
    tensors.put("steps", Tensor.ofLongs(shape(4), steps));
    float[] b = {3.0f};
    tensors.put("bias", Tensor.ofFloats(shape(1, 1), b));
    byte[] bytes = SafeTensors.encode(tensors, Map.of("format", "pt"));

    try (NDManager manager = NDManager.newBaseManager()) {
      NDList list = NDList.decode(manager, bytes);
      assertEquals(3, list.size());
      Map<String, NDArray> byName = new LinkedHashMap<>();
      for (NDArray arr : list) {
        byName.put(arr.getName(), arr);
      }
      assertEquals(List.of("weights.a", "steps", "bias"), new ArrayList<>(byName.keySet()));

      NDArray wa = byName.get("weights.a");
      assertEquals(DataType.FLOAT32, wa.getDataType());
      assertEquals(new Shape(2, 3), wa.getShape());
      assertArrayEquals(a, wa.toFloatArray());

      NDArray st = byName.get("steps");
      assertEquals(DataType.INT64, st.getDataType());
      assertEquals(new Shape(4), st.getShape());
      assertArrayEquals(steps, st.toLongArray());

      NDArray bi = byName.get("bias");
      assertEquals(new Shape(1, 1), bi.getShape());
      assertArrayEquals(b, bi.toFloatArray());
    }
  }

  @Test
  void weReadWhatDjlWrites() throws IOException {
    float[] x = {0.5f, -1f, 2f, Float.NEGATIVE_INFINITY, 1e-40f, 7f};
    long[] t = {3, 1, 4, 1, 5};
    byte[] bytes;
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray xa = manager.create(x, new Shape(3, 2));
      xa.setName("x");
      NDArray ta = manager.create(t, new Shape(5));
      ta.setName("t");
      NDArray sa = manager.create(new float[] {9f}, new Shape(1));
      sa.setName("s");
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      new NDList(xa, ta, sa).encode(out, NDList.Encoding.SAFETENSORS);
      bytes = out.toByteArray();
    }
    SafeTensors.Contents c = SafeTensors.read(bytes, "djl-written");
    // DJL chooses its own header order; we keep whatever order the header has.
    assertEquals(Set.of("x", "t", "s"), c.tensors().keySet());
    String header = new String(bytes, 8, (int) headerLength(bytes), StandardCharsets.UTF_8);
    List<String> headerOrder =
        new ArrayList<>(JsonParser.parseString(header).getAsJsonObject().keySet());
    headerOrder.remove("__metadata__");
    assertEquals(headerOrder, new ArrayList<>(c.tensors().keySet()));
    assertEquals(DType.F32, c.get("x").dtype());
    assertArrayEquals(shape(3, 2), c.get("x").shape());
    assertArrayEquals(x, c.get("x").toFloats());
    assertEquals(DType.I64, c.get("t").dtype());
    assertArrayEquals(shape(5), c.get("t").shape());
    assertArrayEquals(t, c.get("t").toLongs());
    assertArrayEquals(new float[] {9f}, c.get("s").toFloats());
  }

  // ---------------------------------------------------------------- malformed input

  private static String entry(String name, String dtype, String shape, long begin, long end) {
    return "\""
        + name
        + "\":{\"dtype\":\""
        + dtype
        + "\",\"shape\":"
        + shape
        + ",\"data_offsets\":["
        + begin
        + ","
        + end
        + "]}";
  }

  static Stream<Arguments> malformed() {
    return Stream.of(
        Arguments.of("shorter than 8 bytes", new byte[5], "5 bytes is too short"),
        Arguments.of("empty file", new byte[0], "0 bytes is too short"),
        Arguments.of(
            "header length beyond the file", raw(100, "{}", 0), "header length 100 does not fit"),
        Arguments.of(
            "header length absurdly large",
            raw(1L << 40, "{}", 16),
            "header length 1099511627776 does not fit"),
        Arguments.of("header length negative", raw(-1, "{}", 0), "header length -1 does not fit"),
        Arguments.of("header not JSON", file("{\"a\": [1, 2", 0), "header is not a JSON object"),
        Arguments.of("header JSON not an object", file("[1,2,3]", 0), "not a JSON object"),
        Arguments.of("header JSON a string", file("\"abc\"", 0), "not a JSON object"),
        Arguments.of(
            "data_offsets out of range",
            file("{" + entry("w", "F32", "[4]", 0, 16) + "}", 8),
            "tensor \"w\": data_offsets [0, 16] out of range of the 8 data bytes"),
        Arguments.of(
            "data_offsets negative",
            file("{" + entry("w", "F32", "[1]", -4, 0) + "}", 8),
            "tensor \"w\": data_offsets [-4, 0] out of range"),
        Arguments.of(
            "data_offsets end before begin",
            file("{" + entry("w", "F32", "[1]", 8, 4) + "}", 8),
            "tensor \"w\": data_offsets [8, 4]"),
        Arguments.of(
            "data_offsets with three numbers",
            file("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", 8),
            "tensor \"w\": data_offsets must hold [begin, end]"),
        Arguments.of(
            "two tensors overlapping",
            file(
                "{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("b", "F32", "[2]", 4, 12) + "}",
                12),
            "tensors \"a\" and \"b\" overlap"),
        Arguments.of(
            "shape does not match the byte count",
            file("{" + entry("w", "F32", "[3]", 0, 8) + "}", 8),
            "tensor \"w\": shape [3] of F32 needs 12 bytes but data_offsets span 8"),
        Arguments.of(
            "unknown dtype",
            file("{" + entry("w", "F8_E9", "[1]", 0, 1) + "}", 1),
            "tensor \"w\": unknown dtype \"F8_E9\""),
        Arguments.of(
            "missing dtype",
            file("{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4),
            "tensor \"w\": entry must have dtype"),
        Arguments.of(
            "missing shape",
            file("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4),
            "tensor \"w\": entry must have dtype"),
        Arguments.of(
            "missing data_offsets",
            file("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4),
            "tensor \"w\": entry must have dtype"),
        Arguments.of(
            "entry not an object", file("{\"w\":5}", 4), "tensor \"w\": entry must have dtype"),
        Arguments.of(
            "shape not an array",
            file("{\"w\":{\"dtype\":\"F32\",\"shape\":\"abc\",\"data_offsets\":[0,4]}}", 4),
            "tensor \"w\": entry must have dtype"),
        Arguments.of(
            "shape holds a non-number",
            file("{\"w\":{\"dtype\":\"F32\",\"shape\":[\"x\"],\"data_offsets\":[0,4]}}", 4),
            "tensor \"w\": entry must have dtype"),
        Arguments.of(
            "data_offsets hold a non-number",
            file("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[\"a\",4]}}", 4),
            "tensor \"w\": entry must have dtype"),
        Arguments.of(
            "negative dimension",
            file("{" + entry("w", "F32", "[-1]", 0, 4) + "}", 4),
            "tensor \"w\": shape [-1] is invalid: negative dimension"),
        Arguments.of(
            "shape whose element count overflows",
            file("{" + entry("w", "F32", "[4611686018427387904,4]", 0, 4) + "}", 4),
            "tensor \"w\": shape [4611686018427387904, 4] is invalid: element count overflows"),
        Arguments.of(
            "metadata not an object",
            file("{\"__metadata__\":\"pt\"}", 0),
            "__metadata__ must be an object of strings"),
        Arguments.of(
            "non-string metadata value",
            file("{\"__metadata__\":{\"format\":\"pt\",\"step\":12}}", 0),
            "__metadata__ value of \"step\" must be a string"),
        Arguments.of(
            "null metadata value",
            file("{\"__metadata__\":{\"format\":null}}", 0),
            "__metadata__ value of \"format\" must be a string"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformed")
  void malformedFileIsRejectedWithMessageNamingSourceAndFault(
      String fault, byte[] bytes, String expected) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> SafeTensors.read(bytes, SRC), fault);
    String msg = e.getMessage();
    assertTrue(msg.startsWith(SRC + ": "), "message should name the source: " + msg);
    assertTrue(msg.contains(expected), "message should contain <" + expected + ">: " + msg);
  }

  @Test
  void malformedLocalFileMessageNamesThePath(@TempDir Path dir) throws IOException {
    Path p = dir.resolve("broken.safetensors");
    Files.write(p, new byte[3]);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> SafeTensors.read(p));
    assertTrue(e.getMessage().startsWith(p.toString() + ": "), e.getMessage());
  }

  @Test
  void emptyTensorListedAfterANonEmptyOneAtTheSameOffsetIsNotAnOverlap() {
    // Valid per the reference implementation (entries are ordered by (begin, end)); the empty
    // tensor occupies no bytes, so nothing overlaps.
    byte[] bytes =
        file("{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("e", "F32", "[0]", 0, 0) + "}", 8);
    SafeTensors.Contents c = SafeTensors.read(bytes, SRC);
    assertEquals(2, c.tensors().size());
    assertEquals(0, c.get("e").numel());
  }

  @Test
  void tensorsListedOutOfDataOrderAreRead() {
    ByteArrayOutputStream data = new ByteArrayOutputStream();
    data.writeBytes(Tensor.ofFloats(shape(1), new float[] {1f}).data());
    data.writeBytes(Tensor.ofFloats(shape(1), new float[] {2f}).data());
    String header =
        "{" + entry("second", "F32", "[1]", 4, 8) + "," + entry("first", "F32", "[1]", 0, 4) + "}";
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(le64(h.length));
    out.writeBytes(h);
    out.writeBytes(data.toByteArray());
    SafeTensors.Contents c = SafeTensors.read(out.toByteArray(), SRC);
    assertArrayEquals(new float[] {2f}, c.get("second").toFloats());
    assertArrayEquals(new float[] {1f}, c.get("first").toFloats());
  }

  @Test
  void getOfAMissingTensorNamesTheFileAndTheTensor() {
    SafeTensors.Contents c = reference("unet_io.safetensors");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> c.get("missing"));
    assertTrue(e.getMessage().contains("/reference/unet_io.safetensors"), e.getMessage());
    assertTrue(e.getMessage().contains("\"missing\""), e.getMessage());
  }

  // ---------------------------------------------------------------- writing files

  @Test
  void writeLeavesNoTemporaryFilesBehind(@TempDir Path dir) throws IOException {
    Path p = dir.resolve("model.safetensors");
    Map<String, Tensor> first = Map.of("w", Tensor.ofFloats(shape(2), new float[] {1, 2}));
    SafeTensors.write(p, first, Map.of("format", "pt"));
    // Overwriting an existing file also leaves nothing else behind.
    Map<String, Tensor> second = awkwardTensors();
    SafeTensors.write(p, second, sortedMetadata());
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(List.of(p), files.toList());
    }
    SafeTensors.Contents c = SafeTensors.read(p);
    assertSameContents(second, c);
    assertEquals(sortedMetadata(), c.metadata());
    assertArrayEquals(SafeTensors.encode(second, sortedMetadata()), Files.readAllBytes(p));
  }

  @Test
  void writeCreatesMissingParentFolders(@TempDir Path dir) throws IOException {
    Path p = dir.resolve("a/b/c.safetensors");
    SafeTensors.write(p, Map.of("w", Tensor.ofLongs(shape(1), new long[] {5})), null);
    assertArrayEquals(new long[] {5}, SafeTensors.read(p).get("w").toLongs());
    try (Stream<Path> files = Files.list(p.getParent())) {
      assertEquals(List.of(p), files.toList());
    }
  }
}
