package io.sparkddpm.train;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkddpm.SparkSessionTestBase;
import io.sparkddpm.base.BadInputException;
import io.sparkddpm.data.ImageFixtures;
import io.sparkddpm.model.UNetConfig;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad image data through TrainJob's path: found by the driver (a missing column, a label that is
 * not an integer, a model that does not fit IDX data) or only by the task that decodes the row (an
 * image that does not decode, a null label, an image without a conversion rule). Each is a {@link
 * BadInputException} (exit code 2) naming the file, the row or file name, and the field; the output
 * folder is never created.
 */
class ImageInputRefusalTest extends SparkSessionTestBase {
  @TempDir Path work;

  private String refused(Path data, UNetConfig model, String... extra) throws Exception {
    Path config = work.resolve("model-" + model.inChannels() + ".json");
    Files.writeString(config, model.toJson());
    Path out = work.resolve("out");
    List<String> args =
        new ArrayList<>(
            List.of(
                "--data",
                data.toString(),
                "--output",
                out.toString(),
                "--model-config",
                config.toString(),
                "--max-steps",
                "1",
                "--batch-size",
                "4",
                "--partitions",
                "2"));
    args.addAll(List.of(extra));
    TrainConfig cfg = TrainConfig.parse(args.toArray(String[]::new));
    String message =
        assertThrows(BadInputException.class, () -> TrainJob.train(spark, cfg)).getMessage();
    assertFalse(Files.exists(out), "nothing written for: " + message);
    return message;
  }

  static UNetConfig rgbModel() {
    return UNetConfig.builder()
        .sampleSize(32)
        .inChannels(3)
        .outChannels(3)
        .layersPerBlock(1)
        .blockOutChannels(16, 32)
        .downBlockTypes("DownBlock2D", "AttnDownBlock2D")
        .upBlockTypes("AttnUpBlock2D", "UpBlock2D")
        .normNumGroups(8)
        .build();
  }

  private static void contains(String message, String... fragments) {
    for (String f : fragments) {
      assertTrue(message.contains(f), "\"" + f + "\" missing from: " + message);
    }
  }

  /** One Parquet file (coalesced) of {@code rows}, as Spark writes it; returns the file. */
  private Path parquet(String name, StructType schema, List<Row> rows) throws Exception {
    Path dir = work.resolve(name);
    spark.createDataFrame(rows, schema).coalesce(1).write().parquet(dir.toString());
    try (var files = Files.list(dir)) {
      return files.filter(p -> p.toString().endsWith(".parquet")).findFirst().orElseThrow();
    }
  }

  private static Row hfRow(byte[] bytes, Long label) {
    return RowFactory.create(RowFactory.create(bytes, null), label);
  }

  @Test
  void anImageThatDoesNotDecodeIsNamedByFileRowAndFieldFromTheTask() throws Exception {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      byte[] png = ImageFixtures.encode(ImageFixtures.rgb(i, 32), "png");
      rows.add(hfRow(i == 4 ? new byte[] {1, 2, 3, 4} : png, 0L));
    }
    Path file = parquet("undecodable", ImageFixtures.HF_SCHEMA, rows);
    contains(
        refused(file.getParent(), rgbModel()),
        "--data",
        file.getFileName().toString(),
        "row 4",
        "image.bytes is not a decodable PNG or JPEG image");
  }

  @Test
  void aNullLabelIsNamedByFileRowAndField() throws Exception {
    byte[] png = ImageFixtures.encode(ImageFixtures.rgb(0, 32), "png");
    Path file =
        parquet("nulllabel", ImageFixtures.HF_SCHEMA, List.of(hfRow(png, 1L), hfRow(png, null)));
    contains(
        refused(file.getParent(), rgbModel()),
        file.getFileName().toString(),
        "row 1",
        "label is null");
  }

  @Test
  void aMissingImageColumnAndANonIntegerLabelAreRefusedByTheDriver() throws Exception {
    byte[] png = ImageFixtures.encode(ImageFixtures.rgb(0, 32), "png");
    StructType noImage =
        new StructType().add("picture", DataTypes.BinaryType).add("label", DataTypes.LongType);
    Path a = parquet("noimage", noImage, List.of(RowFactory.create(png, 1L)));
    contains(
        refused(a.getParent(), rgbModel()),
        a.getFileName().toString(),
        "no column image (--image-column)",
        "picture");
    // The same file read with the right name, but a label column that is not there.
    contains(
        refused(a.getParent(), rgbModel(), "--image-column", "picture", "--label-column", "cls"),
        "no column cls (--label-column)");
    StructType textLabel =
        new StructType().add("image", DataTypes.BinaryType).add("label", DataTypes.StringType);
    Path b = parquet("textlabel", textLabel, List.of(RowFactory.create(png, "cat")));
    contains(
        refused(b.getParent(), rgbModel()),
        b.getFileName().toString(),
        "column label is string, not an integer");
  }

  @Test
  void anImageWithoutAConversionRuleIsNamedByItsFile() throws Exception {
    Path dir = work.resolve("mixed");
    Files.createDirectories(dir);
    Files.write(dir.resolve("a.png"), ImageFixtures.encode(ImageFixtures.rgb(0, 32), "png"));
    // 16-bit gray: Pillow opens it as mode I;16, which has no 8-bit L or RGB rule here.
    BufferedImage deep = new BufferedImage(32, 32, BufferedImage.TYPE_USHORT_GRAY);
    deep.getRaster().setSample(3, 3, 0, 40000);
    Files.write(dir.resolve("b.png"), ImageFixtures.encode(deep, "png"));
    contains(refused(dir, rgbModel()), "b.png", "16-bit samples", "RGB");
  }

  @Test
  void aModelThatDoesNotFitTheDataIsAUsageErrorNamingBoth() throws Exception {
    Path dir = work.resolve("big");
    Files.createDirectories(dir);
    Files.write(dir.resolve("x.png"), ImageFixtures.encode(ImageFixtures.rgb(0, 40), "png"));
    // Any size is resized to the model's; a --resolution other than its sample_size is refused.
    contains(refused(dir, rgbModel(), "--resolution", "40"), "--resolution 40", "sample_size 32");
    contains(refused(TinyRun.mnist(), rgbModel()), "1-channel (gray) IDX images", "in_channels 3");
  }
}
