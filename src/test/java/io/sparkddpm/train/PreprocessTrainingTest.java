package io.sparkddpm.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.sparkddpm.SparkSessionTestBase;
import io.sparkddpm.base.BadInputException;
import io.sparkddpm.data.DataImage;
import io.sparkddpm.data.DecodedImage;
import io.sparkddpm.data.ImageFixtures;
import io.sparkddpm.data.ImageSource;
import io.sparkddpm.data.PixelRange;
import io.sparkddpm.data.Preprocess;
import io.sparkddpm.model.UNetConfig;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TrainJob's {@code --resolution}, {@code --center-crop} and {@code --random-flip} on a generated
 * RGB set of non-square PNGs of different sizes (12 images, 19..44 pixels a side, in class folders
 * a/ and b/, and the same bytes as Hugging Face Parquet): every source trains through the same
 * preprocessing, a seed gives bitwise the same weights (also with a retried task), and what a task
 * feeds the model is {@link Preprocess}'s output for the image's (run seed, epoch, image) seed.
 */
class PreprocessTrainingTest extends SparkSessionTestBase {
  private static final int IMAGES = 12;

  @TempDir static Path work;
  private static Path folder;
  private static Path parquet;
  private static final List<Path> files = new ArrayList<>(); // image i, in index order

  static UNetConfig rgb(int sampleSize) {
    return ImageInputRefusalTest.rgbModel().toBuilder().sampleSize(sampleSize).build();
  }

  /** Image i: w x h with w != h, seeded smooth colours plus noise (PNG, lossless). */
  private static BufferedImage image(int i) {
    int w = 19 + (i * 7) % 26;
    int h = 19 + (i * 11 + 5) % 26;
    if (w == h) {
      h++;
    }
    SplittableRandom r = new SplittableRandom(100 + i);
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int red = (x * 255) / w;
        int green = (y * 255) / h;
        img.setRGB(x, y, (red << 16) | (green << 8) | r.nextInt(256));
      }
    }
    return img;
  }

  @BeforeAll
  static void writeFixtures() throws Exception {
    folder = work.resolve("folder");
    parquet = work.resolve("parquet");
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < IMAGES; i++) {
      Path cls = folder.resolve(i < IMAGES / 2 ? "a" : "b");
      Files.createDirectories(cls);
      byte[] png = ImageFixtures.encode(image(i), "png");
      Path file = cls.resolve(String.format("%02d.png", i));
      Files.write(file, png);
      files.add(file);
      rows.add(RowFactory.create(RowFactory.create(png, null), (long) (i < IMAGES / 2 ? 0 : 1)));
    }
    spark
        .createDataFrame(rows, ImageFixtures.HF_SCHEMA)
        .coalesce(1)
        .write()
        .parquet(parquet.toString());
    Files.writeString(work.resolve("rgb16.json"), rgb(16).toJson());
    Files.writeString(work.resolve("rgb8.json"), rgb(8).toJson());
  }

  private static TrainConfig config(Path data, String output, String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--data", data.toString(),
                "--output", work.resolve(output).toString(),
                "--model-config", work.resolve("rgb16.json").toString(),
                "--batch-size", "6",
                "--epochs", "2",
                "--partitions", "2",
                "--sample-every-epoch", "0",
                "--checkpoint-every", "0",
                "--seed", "5"));
    args.addAll(Arrays.asList(extra));
    return TrainConfig.parse(args.toArray(String[]::new));
  }

  private static Trainer.Result train(Path data, String output, String... extra) throws Exception {
    return TrainJob.train(spark, config(data, output, extra));
  }

  private static JsonObject options(Path checkpoint) throws Exception {
    return JsonParser.parseString(Files.readString(checkpoint.resolve("trainer_state.json")))
        .getAsJsonObject()
        .getAsJsonObject("options");
  }

  @Test
  void sameSeedTrainsBitwiseEqualFromFolderAndParquetAndWithARetriedTask() throws Exception {
    String[] recipe = {"--resolution", "16", "--random-flip"};
    Trainer.Result a = train(folder, "a", recipe);
    assertEquals(4, a.steps(), "2 epochs of 2 steps");
    assertTrue(Double.isFinite(a.lastLoss()) && a.lastLoss() > 0);
    assertArrayEquals(a.params(), train(folder, "again", recipe).params(), "same seed");
    assertArrayEquals(a.params(), train(parquet, "parquet", recipe).params(), "Parquet source");
    String[] retried = {"--inject-failure-at-step", "2", recipe[0], recipe[1], recipe[2]};
    assertArrayEquals(a.params(), train(folder, "retried", retried).params(), "a retried task");

    JsonObject options = options(Path.of(a.finalCheckpoint().toUri().getPath()));
    assertEquals("16", options.get("resolution").getAsString());
    assertEquals("true", options.get("random-flip").getAsString());
    assertEquals("false", options.get("center-crop").getAsString());

    // Leaving --resolution out is the model's sample_size; flips and center crops change the data.
    Trainer.Result plain = train(folder, "plain", "--resolution", "16");
    assertArrayEquals(plain.params(), train(folder, "default").params(), "--resolution 0 = 16");
    assertEquals("16", options(work.resolve("default/final")).get("resolution").getAsString());
    assertFalse(Arrays.equals(a.params(), plain.params()), "--random-flip changes the weights");
    Trainer.Result center = train(folder, "center", "--center-crop");
    assertFalse(Arrays.equals(center.params(), plain.params()), "center vs random crops");
  }

  /** Image {@code index} as javax.imageio decodes its file, before any preprocessing. */
  private static DecodedImage original(long index) throws Exception {
    BufferedImage img = ImageIO.read(files.get((int) index).toFile());
    return DecodedImage.ofChw(
        new DataImage(index, 0, 3, img.getHeight(), img.getWidth(), ImageFixtures.chw(img)));
  }

  @Test
  void eachTasksModelInputIsPreprocessOutputForTheImagesSeedInEveryEpoch() throws Exception {
    Preprocess p = new Preprocess(16, false, true, PixelRange.MINUS_ONE_TO_ONE);
    for (Path data : List.of(folder, parquet)) {
      var shards =
          Shards.load(
              spark,
              data.toString(),
              ImageSource.Columns.DEFAULT,
              new ImageSource.Target(3, 16),
              p,
              2,
              0);
      try {
        List<Shard> built = shards.collect(); // built by the tasks, from their own files
        int seen = 0;
        int changed = 0;
        for (Shard shard : built) {
          for (long index : shard.indices()) {
            int row = shard.rowOf(index);
            DecodedImage original = original(index);
            float[] previous = null;
            for (int epoch = 0; epoch < 4; epoch++) {
              float[] actual = new float[shard.imagePixels()];
              shard.modelInput(row, 5, epoch, p.range(), actual, 0);
              float[] expected = p.toModel(original, Preprocess.imageSeed(5, epoch, index));
              assertArrayEquals(
                  expected, actual, 0f, data + ": image " + index + " epoch " + epoch);
              changed += previous != null && !Arrays.equals(previous, actual) ? 1 : 0;
              previous = actual;
            }
            seen++;
          }
        }
        assertEquals(IMAGES, seen, data.toString());
        // 36 pairs of consecutive epochs; a pair repeats only if crop and flip both do.
        assertTrue(changed > 24, data + ": " + changed + " of 36 epoch pairs differ");
      } finally {
        shards.unpersist(true);
      }
    }
  }

  @Test
  void aResumedRunSeesTheSamePixelsAndRefusesAChangedPreprocessing() throws Exception {
    String[] recipe = {"--random-flip", "--checkpoint-every", "2"};
    Trainer.Result straight = train(folder, "straight", recipe);
    deleteTree(work.resolve("straight/final"));
    Trainer.Result resumed = train(folder, "straight", "--resume", recipe[0], recipe[1], recipe[2]);
    assertEquals(2, resumed.steps(), "resumed at step 2, in the second epoch");
    assertArrayEquals(straight.params(), resumed.params());

    String[][] changes = {
      {"--random-flip was true", "--checkpoint-every", "2"},
      {"--center-crop was false", "--random-flip", "--center-crop"},
      {
        "--resolution was 16",
        "--random-flip",
        "--resolution",
        "8",
        "--model-config",
        work.resolve("rgb8.json").toString()
      },
    };
    for (String[] c : changes) {
      List<String> args = new ArrayList<>(List.of("--resume"));
      args.addAll(Arrays.asList(c).subList(1, c.length));
      BadInputException e =
          assertThrows(
              BadInputException.class,
              () -> train(folder, "straight", args.toArray(String[]::new)));
      assertTrue(e.getMessage().contains(c[0]), e.getMessage());
    }
  }

  @Test
  void aCheckpointFromBeforeTheOptionsResumesAsTrainedAtItsSampleSize() throws Exception {
    Trainer.Result straight = train(folder, "old", "--checkpoint-every", "2");
    deleteTree(work.resolve("old/final"));
    Path state = work.resolve("old/checkpoint-2/trainer_state.json");
    JsonObject json = JsonParser.parseString(Files.readString(state)).getAsJsonObject();
    for (String key : List.of("resolution", "center-crop", "random-flip")) {
      assertTrue(json.getAsJsonObject("options").remove(key) != null, key);
    }
    Files.writeString(state, json.toString());
    Files.deleteIfExists(state.resolveSibling(".trainer_state.json.crc")); // Hadoop's checksum
    Trainer.Result resumed = train(folder, "old", "--resume", "--resolution", "16");
    assertEquals(2, resumed.steps());
    assertArrayEquals(straight.params(), resumed.params());
  }

  @Test
  void aResolutionOtherThanTheModelsSampleSizeIsAUsageErrorNamingBoth() {
    BadInputException e =
        assertThrows(BadInputException.class, () -> train(folder, "x", "--resolution", "32"));
    assertTrue(e.getMessage().contains("--resolution 32"), e.getMessage());
    assertTrue(e.getMessage().contains("sample_size 16"), e.getMessage());
    assertFalse(Files.exists(work.resolve("x")), "nothing written");
  }

  private static void deleteTree(Path dir) throws Exception {
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
