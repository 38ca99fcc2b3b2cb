package io.sparkddpm.sample;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.sparkddpm.SparkSessionTestBase;
import io.sparkddpm.checkpoint.Checkpoints;
import io.sparkddpm.data.ImageFixtures;
import io.sparkddpm.data.PixelRange;
import io.sparkddpm.diffusion.NoiseScheduler;
import io.sparkddpm.io.PngImages;
import io.sparkddpm.model.ParamLayout;
import io.sparkddpm.model.UNet2DModel;
import io.sparkddpm.model.UNetConfig;
import io.sparkddpm.train.TrainConfig;
import io.sparkddpm.train.TrainJob;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 3-channel model end to end: a tiny RGB TrainJob run (16x16, its epoch grid included), sampled
 * by SampleJob into RGB PNGs in the Parquet rows, grid.png and trajectory.png, each pixel the float
 * sample quantised.
 */
class RgbSamplesTest extends SparkSessionTestBase {
  private static final int SIDE = 16;
  private static final int IMAGES = 6;

  @TempDir Path work;

  private static UNetConfig rgbModel() {
    return UNetConfig.builder()
        .sampleSize(SIDE)
        .inChannels(3)
        .outChannels(3)
        .layersPerBlock(1)
        .blockOutChannels(16, 32)
        .downBlockTypes("DownBlock2D", "AttnDownBlock2D")
        .upBlockTypes("AttnUpBlock2D", "UpBlock2D")
        .normNumGroups(8)
        .build();
  }

  private static BufferedImage read(byte[] png) throws Exception {
    return ImageIO.read(new ByteArrayInputStream(png));
  }

  private static void assertRgb(BufferedImage img, int width, int height, String what) {
    assertEquals(3, img.getRaster().getNumBands(), what + ": bands");
    assertTrue(!img.getColorModel().hasAlpha(), what + ": no alpha");
    assertEquals(width, img.getWidth(), what + ": width");
    assertEquals(height, img.getHeight(), what + ": height");
  }

  @Test
  void aThreeChannelCheckpointSamplesToRgbParquetGridAndTrajectory() throws Exception {
    Path data = work.resolve("data");
    ImageFixtures.writeFolder(data, 8, 24); // resized to 16 by the default --resolution
    Path config = work.resolve("rgb.json");
    Files.writeString(config, rgbModel().toJson());
    Path run = work.resolve("run");
    TrainJob.train(
        spark,
        TrainConfig.parse(
            "--data",
            data.toString(),
            "--output",
            run.toString(),
            "--model-config",
            config.toString(),
            "--batch-size",
            "4",
            "--max-steps",
            "2",
            "--epochs",
            "1",
            "--partitions",
            "2",
            "--sample-every-epoch",
            "4",
            "--sample-steps",
            "3",
            "--checkpoint-every",
            "0",
            "--random-flip",
            "--seed",
            "3"));
    // the epoch grid of a 3-channel model: 2x2 images of 16 with 2-pixel padding
    assertRgb(read(Files.readAllBytes(run.resolve("samples/epoch-001.png"))), 38, 38, "epoch grid");

    Path out = work.resolve("samples");
    SampleJob.sample(
        spark,
        SampleConfig.parse(
            "--model", run.resolve("final").toString(),
            "--output", out.toString(),
            "--steps", "4",
            "--num-images", Integer.toString(IMAGES),
            "--batch-size", Integer.toString(IMAGES),
            "--partitions", "1"));

    // The float samples, as SampleJob's one batch computes them, quantised.
    Checkpoints.Contents ckpt =
        Checkpoints.read(
            new org.apache.hadoop.conf.Configuration(),
            new org.apache.hadoop.fs.Path(run.resolve("final").toString()));
    SampleConfig cfg = SampleConfig.parse("--model", "m", "--output", "o", "--steps", "4");
    long[] indices = {0, 1, 2, 3, 4, 5};
    List<byte[]> expected;
    try (NDManager manager = NDManager.newBaseManager()) {
      UNet2DModel model = new UNet2DModel(ckpt.unetConfig());
      model.initialize(manager);
      new ParamLayout(model).copyInto(model, new ParamLayout(model).flatten(ckpt.unet()));
      NoiseScheduler s = NoiseScheduler.create(SampleJob.scheduler(ckpt, cfg));
      s.setTimesteps(4);
      float[] floats = Sampler.sample(model, manager, s, cfg.seed(), indices, 0).images();
      expected = SampleImages.toU8(floats, IMAGES, PixelRange.MINUS_ONE_TO_ONE);
    }
    assertEquals(PixelRange.MINUS_ONE_TO_ONE, SampleJob.pixelRange(ckpt, cfg));

    List<Row> rows =
        spark.read().parquet(out.resolve("parquet").toString()).orderBy("index").collectAsList();
    assertEquals(IMAGES, rows.size());
    for (int i = 0; i < IMAGES; i++) {
      byte[] png = (byte[]) rows.get(i).getStruct(rows.get(i).fieldIndex("image")).get(0);
      assertRgb(read(png), SIDE, SIDE, "row " + i);
      assertArrayEquals(expected.get(i), PngImages.decodePlanar(png, 3), "row " + i + " pixels");
    }
    // 6 images: 3 columns, 2 rows; the trajectory: 4 points (steps < 10) of the first 6 samples.
    BufferedImage grid = read(Files.readAllBytes(out.resolve("grid.png")));
    assertRgb(grid, 3 * SIDE + 4 * 2, 2 * SIDE + 3 * 2, "grid.png");
    assertRgb(
        read(Files.readAllBytes(out.resolve("trajectory.png"))),
        4 * SIDE + 5 * 2,
        IMAGES * SIDE + (IMAGES + 1) * 2,
        "trajectory.png");
    // grid cell (row 1, column 2) is image 5
    int[] rgb = grid.getRGB(2 + 2 * (SIDE + 2), 2 + SIDE + 2, SIDE, SIDE, null, 0, SIDE);
    int plane = SIDE * SIDE;
    for (int p = 0; p < plane; p++) {
      int want =
          (expected.get(5)[p] & 0xFF) << 16
              | (expected.get(5)[plane + p] & 0xFF) << 8
              | (expected.get(5)[2 * plane + p] & 0xFF);
      assertEquals(want, rgb[p] & 0xFFFFFF, "grid pixel " + p + " of image 5");
    }
  }
}
