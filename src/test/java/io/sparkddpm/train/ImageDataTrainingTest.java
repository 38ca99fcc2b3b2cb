package io.sparkddpm.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkddpm.SparkSessionTestBase;
import io.sparkddpm.data.ImageFixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TrainJob on generated RGB sets, a Parquet table and a folder with class folders: a 3-channel
 * model trains on them, and the same images give the same weights from either source.
 */
class ImageDataTrainingTest extends SparkSessionTestBase {
  @TempDir Path work;

  private Trainer.Result train(Path data, String output) throws Exception {
    Path config = work.resolve("rgb.json");
    Files.writeString(config, ImageInputRefusalTest.rgbModel().toJson());
    TrainConfig cfg =
        TrainConfig.parse(
            "--data", data.toString(),
            "--output", work.resolve(output).toString(),
            "--model-config", config.toString(),
            "--batch-size", "8",
            "--max-steps", "2",
            "--partitions", "2",
            "--sample-every-epoch", "0",
            "--checkpoint-every", "0",
            "--seed", "5");
    return TrainJob.train(spark, cfg);
  }

  @Test
  void anRgbModelTrainsOnParquetAndFolderSourcesAlike() throws Exception {
    // Only PNGs (even images), so both sources hold exactly the same pixels.
    Path folder = work.resolve("folder");
    Files.createDirectories(folder.resolve("only"));
    for (int i = 0; i < 12; i++) {
      Files.write(
          folder.resolve("only").resolve(String.format("%02d.png", i)),
          ImageFixtures.encode(ImageFixtures.rgb(2 * i, 32), "png"));
    }
    Path parquet = work.resolve("parquet");
    List<org.apache.spark.sql.Row> rows = new java.util.ArrayList<>();
    for (int i = 0; i < 12; i++) {
      byte[] png = ImageFixtures.encode(ImageFixtures.rgb(2 * i, 32), "png");
      rows.add(
          org.apache.spark.sql.RowFactory.create(
              org.apache.spark.sql.RowFactory.create(png, null), 0L));
    }
    spark
        .createDataFrame(rows, ImageFixtures.HF_SCHEMA)
        .coalesce(1)
        .write()
        .parquet(parquet.toString());

    Trainer.Result fromFolder = train(folder, "a");
    Trainer.Result fromParquet = train(parquet, "b");
    assertEquals(2, fromFolder.steps());
    assertTrue(Double.isFinite(fromFolder.lastLoss()) && fromFolder.lastLoss() > 0);
    Path unetConfig =
        Path.of(fromFolder.finalCheckpoint().toUri().getPath()).resolve("unet/config.json");
    assertTrue(Files.readString(unetConfig).contains("\"in_channels\": 3"), unetConfig.toString());
    assertArrayEquals(fromFolder.params(), fromParquet.params(), "same pixels, same weights");
  }
}
