package io.sparkddpm.data;

import static io.sparkddpm.data.IdxFiles.gzip;
import static io.sparkddpm.data.IdxFiles.imagesBytes;
import static io.sparkddpm.data.IdxFiles.labelsBytes;
import static io.sparkddpm.data.IdxFiles.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxReaderTest {
  private static final Configuration CONF = new Configuration();

  @TempDir Path dir;

  private static org.apache.hadoop.fs.Path hadoop(Path p) {
    return new org.apache.hadoop.fs.Path(p.toUri());
  }

  private static void assertMessage(Exception e, String... parts) {
    for (String part : parts) {
      assertTrue(
          e.getMessage().contains(part),
          "message \"" + e.getMessage() + "\" lacks \"" + part + "\"");
    }
  }

  @Test
  void rawFilesRoundTripThroughHadoopPaths() {
    List<MnistImage> images = IdxFiles.images(7, 1);
    IdxFiles.writeSplit(dir, "train", images, false);

    List<MnistImage> read =
        IdxReader.readPair(
            hadoop(dir.resolve("train-images-idx3-ubyte")),
            hadoop(dir.resolve("train-labels-idx1-ubyte")),
            CONF);

    assertEquals(images, read);
  }

  @Test
  void gzippedFilesAreDecompressedTransparently() {
    List<MnistImage> images = IdxFiles.images(5, 2);
    IdxFiles.writeSplit(dir, "t10k", images, true);

    List<MnistImage> read =
        IdxReader.readPair(
            hadoop(dir.resolve("t10k-images-idx3-ubyte.gz")),
            hadoop(dir.resolve("t10k-labels-idx1-ubyte.gz")),
            CONF);

    assertEquals(images, read);
  }

  @Test
  void aRangeOfRowsEqualsTheSameRowsOfTheWholeFileRawAndGzipped() {
    List<MnistImage> images = IdxFiles.images(9, 4);
    for (boolean gz : new boolean[] {false, true}) {
      Path split = dir.resolve(gz ? "gz" : "raw");
      split.toFile().mkdirs();
      IdxFiles.writeSplit(split, "train", images, gz);
      String suffix = gz ? ".gz" : "";
      var imagesFile = hadoop(split.resolve("train-images-idx3-ubyte" + suffix));
      var labelsFile = hadoop(split.resolve("train-labels-idx1-ubyte" + suffix));

      assertEquals(9, IdxReader.countImages(imagesFile, CONF));
      byte[][] middle = IdxReader.readImages(imagesFile, CONF, 3, 7);
      byte[] labels = IdxReader.readLabels(labelsFile, CONF, 3, 7);
      assertEquals(4, middle.length);
      for (int i = 0; i < 4; i++) {
        assertArrayEquals(images.get(3 + i).pixels(), middle[i], "gz " + gz + " row " + (3 + i));
        assertEquals(images.get(3 + i).label(), labels[i]);
      }
      assertEquals(0, IdxReader.readImages(imagesFile, CONF, 9, 9).length);
      var e =
          assertThrows(
              IllegalArgumentException.class, () -> IdxReader.readImages(imagesFile, CONF, 5, 10));
      assertTrue(e.getMessage().contains("5..10"), e.getMessage());
    }
  }

  @Test
  void countingATruncatedGzipFileFailsNamingIt() {
    byte[] whole = gzip(imagesBytes(IdxFiles.images(4, 5)));
    Path file = write(dir.resolve("cut.gz"), java.util.Arrays.copyOf(whole, whole.length / 2));

    var e =
        assertThrows(
            IllegalArgumentException.class, () -> IdxReader.countImages(hadoop(file), CONF));
    assertTrue(e.getMessage().contains(file.toString() + ": truncated file"), e.getMessage());
  }

  @Test
  void gzipIsRecognisedByItsMagicBytesWithoutTheSuffix() {
    List<MnistImage> images = IdxFiles.images(3, 3);
    Path file = write(dir.resolve("images-no-suffix"), gzip(imagesBytes(images)));

    byte[][] read = IdxReader.readImages(hadoop(file), CONF);

    assertEquals(3, read.length);
    assertArrayEquals(images.get(2).pixels(), read[2]);
  }

  @Test
  void wrongMagicNumberNamesFileFoundAndExpected() {
    Path file = write(dir.resolve("labels-as-images"), labelsBytes(IdxFiles.images(2, 4)));

    var e =
        assertThrows(
            IllegalArgumentException.class, () -> IdxReader.readImages(hadoop(file), CONF));

    assertMessage(e, "labels-as-images", "wrong magic number 2049", "expected 2051");
  }

  @Test
  void truncatedHeaderSaysBytesNeededAndAvailable() {
    byte[] header = Arrays.copyOf(imagesBytes(IdxFiles.images(1, 5)), 10);
    Path file = write(dir.resolve("short-images"), header);

    var e =
        assertThrows(
            IllegalArgumentException.class, () -> IdxReader.readImages(hadoop(file), CONF));

    assertMessage(
        e,
        "short-images",
        "truncated file",
        "header needs 12 bytes at offset 4",
        "only 6 available");
  }

  @Test
  void truncatedGzipStreamIsReportedAsTruncated() {
    byte[] gz = gzip(imagesBytes(IdxFiles.images(20, 6)));
    Path file = write(dir.resolve("cut.gz"), Arrays.copyOf(gz, gz.length / 2));

    var e =
        assertThrows(
            IllegalArgumentException.class, () -> IdxReader.readImages(hadoop(file), CONF));

    assertMessage(e, "cut.gz", "truncated file");
  }

  @Test
  void declaredDimensionsLargerThanTheFileFailBeforeAllocating() {
    // Claims 2^31-1 images but holds one: must fail from the length, not try to allocate 1.6 TB.
    byte[] lying =
        imagesBytes(
            IdxReader.IMAGES_MAGIC,
            Integer.MAX_VALUE,
            28,
            28,
            IdxFiles.images(1, 7).get(0).pixels());
    Path file = write(dir.resolve("lying-images"), lying);

    var e =
        assertThrows(
            IllegalArgumentException.class, () -> IdxReader.readImages(hadoop(file), CONF));

    assertMessage(e, "lying-images", "declared dimensions 2147483647 x 28 x 28", "file has 800");
  }

  @Test
  void gzipStreamWithAnInflatedCountFailsWhereTheDataEnds() {
    byte[] lying =
        imagesBytes(
            IdxReader.IMAGES_MAGIC,
            Integer.MAX_VALUE,
            28,
            28,
            IdxFiles.images(2, 8).get(0).pixels());

    var e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                IdxReader.readImages(
                    new ByteArrayInputStream(gzip(lying)), "lying.gz", IdxReader.UNKNOWN_LENGTH));

    assertMessage(e, "lying.gz", "truncated file", "image 1 of 2147483647", "only 0 available");
  }

  @Test
  void inflatedLabelCountFailsWithoutAllocatingIt() {
    byte[] lying = labelsBytes(IdxReader.LABELS_MAGIC, 2_000_000_000, new byte[] {1, 2});

    var e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                IdxReader.readLabels(
                    new ByteArrayInputStream(gzip(lying)), "labels.gz", IdxReader.UNKNOWN_LENGTH));

    assertMessage(e, "labels.gz", "truncated file", "only 2 available");
  }

  @Test
  void trailingBytesAfterTheDeclaredImagesAreRejected() {
    byte[] extra = Arrays.copyOf(imagesBytes(IdxFiles.images(1, 9)), 16 + 784 + 3);
    Path file = write(dir.resolve("long-images"), extra);

    var e =
        assertThrows(
            IllegalArgumentException.class, () -> IdxReader.readImages(hadoop(file), CONF));

    assertMessage(e, "long-images", "need 800 bytes but the file has 803");
  }

  @Test
  void imageAndLabelCountsMustMatch() {
    List<MnistImage> images = IdxFiles.images(4, 10);
    Path img = write(dir.resolve("imgs"), imagesBytes(images));
    Path lab = write(dir.resolve("labs"), labelsBytes(images.subList(0, 3)));

    var e =
        assertThrows(
            IllegalArgumentException.class,
            () -> IdxReader.readPair(hadoop(img), hadoop(lab), CONF));

    assertMessage(e, "count mismatch", "imgs holds 4 images", "labs holds 3 labels");
  }

  @Test
  void imagesOtherThan28x28AreRejected() {
    byte[] bytes = imagesBytes(IdxReader.IMAGES_MAGIC, 1, 32, 32, new byte[32 * 32]);
    Path file = write(dir.resolve("big-images"), bytes);

    var e =
        assertThrows(
            IllegalArgumentException.class, () -> IdxReader.readImages(hadoop(file), CONF));

    assertMessage(e, "big-images", "images are 32x32", "expected 28x28");
  }

  @Test
  void labelOutsideZeroToNineIsRejectedWithItsIndex() {
    byte[] bytes = labelsBytes(IdxReader.LABELS_MAGIC, 3, new byte[] {3, 12, 4});
    Path file = write(dir.resolve("bad-labels"), bytes);

    var e =
        assertThrows(
            IllegalArgumentException.class, () -> IdxReader.readLabels(hadoop(file), CONF));

    assertMessage(e, "bad-labels", "label 12 at index 1", "outside 0..9");
  }
}
