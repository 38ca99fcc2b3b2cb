package io.sparkddpm.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkddpm.SparkSessionTestBase;
import io.sparkddpm.base.BadInputException;
import io.sparkddpm.io.PngImages;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Input EvaluateJob cannot score is refused before any work: a usage error (exit 2) naming the
 * input, file and field, and nothing written: no output, no staging folder, and no classifier (the
 * one named does not exist, so a run that got further would train and save it).
 */
class EvaluateJobBadInputTest extends SparkSessionTestBase {
  @TempDir Path work;

  @Test
  void parquetWithoutTheImageColumnIsRefused() throws IOException {
    Path samples = work.resolve("no-image");
    spark.range(100).toDF("index").write().parquet(samples.toString());
    assertRefused(samples, "expected a column image struct<bytes: binary");
  }

  @Test
  void anImageOfTheWrongSizeIsRefusedNamingItsFile() throws IOException {
    Path samples = pngs("wrong-size", 100);
    Files.write(samples.resolve("000007.png"), PngImages.encode(28, 28, new byte[28 * 28]));
    assertRefused(samples, "000007.png: expected a 32x32 image (as SampleJob writes), got 28x28");
  }

  @Test
  void aColourImageIsRefusedNamingItsFile() throws IOException {
    Path samples = pngs("rgb", 100);
    ByteArrayOutputStream png = new ByteArrayOutputStream();
    ImageIO.write(new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB), "png", png);
    Files.write(samples.resolve("000011.png"), png.toByteArray());
    assertRefused(samples, "000011.png: expected an 8-bit grayscale PNG");
  }

  @Test
  void aParquetRowWithAnImageOfTheWrongSizeIsRefusedNamingRowAndField() throws IOException {
    Path samples = work.resolve("parquet");
    List<io.sparkddpm.io.SampleParquet.SampleRow> rows = new java.util.ArrayList<>();
    for (int i = 0; i < 100; i++) {
      int side = i == 42 ? 28 : 32;
      rows.add(
          new io.sparkddpm.io.SampleParquet.SampleRow(
              PngImages.encode(side, side, new byte[side * side]), null, i, 0, "ddpm", 5, "t"));
    }
    Files.createDirectories(samples.resolve("parquet"));
    io.sparkddpm.io.SampleParquet.write(
        new org.apache.hadoop.conf.Configuration(),
        new org.apache.hadoop.fs.Path(samples.resolve("parquet/part-00000.parquet").toString()),
        rows);
    assertRefused(samples, "part-00000.parquet row 42: image.bytes: expected a 32x32 image");
  }

  @Test
  void anEmptyFolderIsRefused() throws IOException {
    assertRefused(Files.createDirectories(work.resolve("empty")), "no images found");
  }

  @Test
  void fewerImagesThanFeatureDimensionsAreRefused() throws IOException {
    assertRefused(
        pngs("few", 50), "holds 50 images, fewer than the classifier's feature dimension 84");
  }

  @Test
  void anExistingOutputIsKeptWithoutOverwrite() throws IOException {
    Path out = Files.createDirectories(work.resolve("existing"));
    Files.writeString(out.resolve("keep.txt"), "mine");
    BadInputException e =
        assertThrows(
            BadInputException.class,
            () -> EvaluateJob.evaluate(spark, config(pngs("ok", 100), out)));
    assertTrue(e.getMessage().contains("--overwrite"), e.getMessage());
    assertEquals("mine", Files.readString(out.resolve("keep.txt")));
  }

  @Test
  void missingMnistIsRefusedNamingData() throws IOException {
    Path samples = pngs("ok2", 100);
    EvaluateConfig cfg =
        EvaluateConfig.parse(
            new String[] {
              "--samples", samples.toString(),
              "--data", work.resolve("no-mnist").toString(),
              "--output", work.resolve("out-data").toString()
            });
    BadInputException e =
        assertThrows(BadInputException.class, () -> EvaluateJob.evaluate(spark, cfg));
    assertTrue(e.getMessage().startsWith("--data: "), e.getMessage());
    assertTrue(Files.notExists(work.resolve("out-data")));
  }

  /** {@code count} 32x32 gray PNGs of a moving bar. */
  private Path pngs(String name, int count) throws IOException {
    Path dir = Files.createDirectories(work.resolve(name));
    for (int i = 0; i < count; i++) {
      byte[] pixels = new byte[32 * 32];
      for (int y = 0; y < 32; y++) {
        pixels[y * 32 + (i % 32)] = (byte) 255;
      }
      Files.write(dir.resolve(String.format("%06d.png", i)), PngImages.encode(32, 32, pixels));
    }
    return dir;
  }

  private EvaluateConfig config(Path samples, Path out) {
    return EvaluateConfig.parse(
        new String[] {
          "--samples", samples.toString(),
          "--data", io.sparkddpm.data.IdxFiles.projectDir().resolve("data/mnist").toString(),
          "--output", out.toString(),
          "--classifier", work.resolve("classifier").toString()
        });
  }

  private void assertRefused(Path samples, String expected) throws IOException {
    Path out = work.resolve("out-" + samples.getFileName());
    BadInputException e =
        assertThrows(
            BadInputException.class, () -> EvaluateJob.evaluate(spark, config(samples, out)));
    assertTrue(e.getMessage().startsWith("--samples " + samples), e.getMessage());
    assertTrue(e.getMessage().contains(expected), e.getMessage());
    assertTrue(Files.notExists(out), "nothing written for " + samples);
    assertTrue(Files.notExists(work.resolve("classifier")), "no classifier trained or saved");
    try (Stream<Path> siblings = Files.list(work)) {
      assertTrue(
          siblings.noneMatch(p -> p.getFileName().toString().startsWith(".")),
          "no staging folder left");
    }
  }
}
