package io.sparkddpm.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.sparkddpm.SparkSessionTestBase;
import io.sparkddpm.base.BadInputException;
import io.sparkddpm.data.ImageFixtures;
import io.sparkddpm.io.PngImages;
import io.sparkddpm.io.SampleParquet;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * EvaluateJob on labelled sets other than MNIST, generated here: seeded 32x32 RGB images whose
 * class is their dominant colour (plus seeded brightness, noise and a gradient), encoded with
 * javax.imageio, as a Parquet table written by Spark in Hugging Face's layout (PNG and JPEG bytes,
 * an int64 label; no test split, so every 5th image is held out) and as a folder with four class
 * sub-folders. The classifier is built for RGB 32x32 and the set's class count and trained on a few
 * hundred images for a few epochs, so the accuracy bar is low (0.6; colours are easy: measured
 * above 0.9).
 */
class EvaluateAnyDataTest extends SparkSessionTestBase {
  /** The colour of each class: red, green, blue, yellow. */
  private static final int[][] COLOURS = {
    {200, 50, 50}, {50, 190, 60}, {40, 60, 200}, {190, 190, 50}
  };

  private static final int N = 100; // samples: more than the 84 features

  @TempDir static Path shared;
  @TempDir Path work;

  static Path parquet;
  static Path folder;
  static Path rgbSamples;
  static Path classifier;
  static EvaluateJob.Result first;

  /** Image {@code i} of class {@code cls}, 32x32 RGB, a function of (cls, i). */
  static BufferedImage image(int cls, long i) {
    SplittableRandom r = new SplittableRandom(1000L * cls + i);
    int shade = r.nextInt(61) - 30;
    BufferedImage img = new BufferedImage(32, 32, BufferedImage.TYPE_3BYTE_BGR);
    for (int y = 0; y < 32; y++) {
      for (int x = 0; x < 32; x++) {
        int[] rgb = new int[3];
        for (int c = 0; c < 3; c++) {
          rgb[c] =
              Math.max(0, Math.min(255, COLOURS[cls][c] + shade + x - 16 + r.nextInt(31) - 15));
        }
        img.setRGB(x, y, (rgb[0] << 16) | (rgb[1] << 8) | rgb[2]);
      }
    }
    return img;
  }

  private static byte[] png(int cls, long i) {
    return ImageFixtures.encode(image(cls, i), "png");
  }

  @BeforeAll
  static void writeSetsAndEvaluateOnTheParquetSet() throws IOException {
    // 300 rows, class = i % 3, even rows PNG, odd rows JPEG; one file written by Spark.
    parquet = shared.resolve("parquet");
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      byte[] bytes = ImageFixtures.encode(image(i % 3, i), i % 2 == 0 ? "png" : "jpeg");
      rows.add(RowFactory.create(RowFactory.create(bytes, i + ".png"), (long) (i % 3)));
    }
    spark
        .createDataFrame(rows, ImageFixtures.HF_SCHEMA)
        .coalesce(1)
        .write()
        .parquet(parquet.toString());
    // 4 class folders (sorted: labels 0..3) of 40 PNGs each.
    folder = shared.resolve("folder");
    String[] names = {"apple", "basil", "cobalt", "daffodil"};
    for (int c = 0; c < 4; c++) {
      Path dir = Files.createDirectories(folder.resolve(names[c]));
      for (int i = 0; i < 40; i++) {
        Files.write(dir.resolve(String.format("%03d.png", i)), png(c, 500 + i));
      }
    }
    // "Samples": new images of the Parquet set's three classes, as RGB PNG files.
    rgbSamples = Files.createDirectories(shared.resolve("rgb-samples"));
    for (int i = 0; i < N; i++) {
      Files.write(rgbSamples.resolve(String.format("%06d.png", i)), png(i % 3, 2000 + i));
    }
    classifier = shared.resolve("classifier");
    first =
        EvaluateJob.evaluate(
            spark,
            config(
                parquet,
                "--samples",
                rgbSamples.toString(),
                "--output",
                shared.resolve("first").toString(),
                "--classifier",
                classifier.toString()));
  }

  static EvaluateConfig config(Path data, String... args) {
    List<String> all =
        new ArrayList<>(
            List.of(
                "--data",
                data.toString(),
                "--partitions",
                "2",
                "--classifier-epochs",
                "4",
                "--classifier-batch-size",
                "16",
                "--min-classifier-accuracy",
                "0.6"));
    all.addAll(List.of(args));
    return EvaluateConfig.parse(all.toArray(new String[0]));
  }

  private static JsonObject json(Path file) throws IOException {
    return JsonParser.parseString(Files.readString(file)).getAsJsonObject();
  }

  @Test
  void anRgbParquetSetTrainsAClassifierForItsChannelsSizeAndClasses() throws IOException {
    assertTrue(first.classifierTrained());
    assertTrue(first.classifierAccuracy() >= 0.6, "test accuracy " + first.classifierAccuracy());
    JsonObject config = json(classifier.resolve("config.json"));
    assertEquals(3, config.get("in_channels").getAsInt());
    assertEquals(32, config.get("sample_size").getAsInt());
    assertEquals(3, config.get("num_classes").getAsInt());
    JsonObject data = config.getAsJsonObject("data");
    assertEquals(parquet.toString(), data.get("path").getAsString());
    assertEquals(3, data.get("channels").getAsInt());
    assertEquals(1, data.getAsJsonObject("files").size(), data.toString()); // one part file
    JsonObject training = config.getAsJsonObject("training");
    assertEquals(240, training.get("train_images").getAsInt()); // 4 in 5
    assertEquals(60, training.get("test_images").getAsInt()); // every 5th held out

    JsonObject metrics = json(shared.resolve("first/metrics.json"));
    assertEquals(60, metrics.getAsJsonObject("reference").get("count").getAsInt());
    assertTrue(
        metrics.getAsJsonObject("reference").get("description").getAsString().contains("held-out"));
    assertEquals(3, first.samples().histogram().length);
    assertEquals(N, first.samples().count());
    // Images of the set's own kind score near the floor, far below uniform noise.
    double floor = first.floor().fid();
    double samples = first.samples().fid();
    double ceiling = first.ceiling().fid();
    System.out.printf(
        "RGB Parquet set: classifier accuracy %.4f, FID samples %.3f, floor %.3f, ceiling %.3f%n",
        first.classifierAccuracy(), samples, floor, ceiling);
    assertTrue(samples < ceiling / 10, "samples " + samples + " vs ceiling " + ceiling);
    assertTrue(floor < ceiling / 10, "floor " + floor + " vs ceiling " + ceiling);
    BufferedImage figure = ImageIO.read(shared.resolve("first/evaluation.png").toFile());
    assertTrue(figure.getHeight() > EvaluationFigure.CHART_HEIGHT + 3 * 64);
  }

  @Test
  void theClassifierIsReusedForItsOwnSetAndRefusedForAnother() throws IOException {
    EvaluateJob.Result again =
        EvaluateJob.evaluate(
            spark,
            config(
                parquet,
                "--samples",
                rgbSamples.toString(),
                "--output",
                work.resolve("again").toString(),
                "--classifier",
                classifier.toString()));
    assertFalse(again.classifierTrained());
    assertEquals(first.samples().fid(), again.samples().fid(), 0.0, "same input, same bits");

    Path out = work.resolve("other");
    BadInputException e =
        assertThrows(
            BadInputException.class,
            () ->
                EvaluateJob.evaluate(
                    spark,
                    config(
                        folder,
                        "--samples",
                        rgbSamples.toString(),
                        "--output",
                        out.toString(),
                        "--classifier",
                        classifier.toString())));
    assertTrue(e.getMessage().contains("--classifier " + classifier), e.getMessage());
    assertTrue(e.getMessage().contains("trained on " + parquet), e.getMessage());
    assertTrue(e.getMessage().contains("--data " + folder), e.getMessage());
    assertTrue(Files.notExists(out));
  }

  @Test
  void samplesOfAnotherShapeThanTheClassifiersAreRefusedNamingBoth() throws IOException {
    Path gray = Files.createDirectories(work.resolve("gray"));
    for (int i = 0; i < N; i++) {
      Files.write(
          gray.resolve(String.format("%06d.png", i)), PngImages.encode(32, 32, new byte[1024]));
    }
    Path out = work.resolve("gray-out");
    BadInputException e =
        assertThrows(
            BadInputException.class,
            () ->
                EvaluateJob.evaluate(
                    spark,
                    config(
                        parquet,
                        "--samples",
                        gray.toString(),
                        "--output",
                        out.toString(),
                        "--classifier",
                        classifier.toString())));
    assertTrue(
        e.getMessage().contains("it takes 3-channel 32x32 images, the samples are 1-channel 32x32"),
        e.getMessage());
    assertTrue(Files.notExists(out));
  }

  @Test
  void aFolderWithFourClassFoldersGivesFourClassesAndTheirConditionalAccuracy() throws IOException {
    // Samples of a conditional model asked for class i % 4, each an image of that class.
    Path truth = conditionalSamples("truth", 0);
    Path folderClassifier = work.resolve("folder-classifier");
    EvaluateJob.evaluate(
        spark,
        config(
            folder,
            "--samples",
            truth.toString(),
            "--output",
            work.resolve("truth-eval").toString(),
            "--classifier",
            folderClassifier.toString()));
    JsonObject t = json(work.resolve("truth-eval/metrics.json"));
    assertEquals(4, t.getAsJsonObject("classifier").get("classes").getAsInt());
    assertEquals(
        128, // 4 in 5 of 160
        json(folderClassifier.resolve("config.json"))
            .getAsJsonObject("training")
            .get("train_images")
            .getAsInt());
    JsonObject samples = t.getAsJsonObject("samples");
    double accuracy = samples.get("conditional_accuracy").getAsDouble();
    System.out.printf("4-class folder: conditional accuracy %.4f%n", accuracy);
    assertTrue(accuracy >= 0.6, "conditional accuracy " + accuracy);
    assertEquals(4, samples.getAsJsonObject("conditional_accuracy_per_class").size());
    assertEquals(4, samples.getAsJsonArray("class_histogram").size());

    // A class the data set does not have names the file and row.
    Path beyond = conditionalSamples("beyond", 0, 42);
    BadInputException e =
        assertThrows(
            BadInputException.class,
            () ->
                EvaluateJob.evaluate(
                    spark,
                    config(
                        folder,
                        "--samples",
                        beyond.toString(),
                        "--output",
                        work.resolve("beyond-eval").toString(),
                        "--classifier",
                        folderClassifier.toString())));
    assertTrue(
        e.getMessage().contains("part-00000.parquet row 42: class 4 is not 0..3"), e.getMessage());
  }

  /** N images of class i % 4 of the folder set, labelled (i + shift) % 4; row bad gets class 4. */
  private Path conditionalSamples(String name, int shift, int... bad) throws IOException {
    Path dir = Files.createDirectories(work.resolve(name).resolve("parquet"));
    List<SampleParquet.SampleRow> rows = new ArrayList<>();
    for (int i = 0; i < N; i++) {
      long cls = (i + shift) % 4;
      for (int b : bad) {
        cls = b == i ? 4 : cls;
      }
      rows.add(
          new SampleParquet.SampleRow(png(i % 4, 3000 + i), null, i, 0, "ddpm", 5, "t", cls, 1.0));
    }
    SampleParquet.write(
        new Configuration(),
        new org.apache.hadoop.fs.Path(dir.resolve("part-00000.parquet").toString()),
        rows);
    return work.resolve(name);
  }

  @Test
  void aNonSquareImageIsCenterCroppedAsTorchvisionDoes() {
    // 3 channels of 5x3 (width 5): CenterCrop(3) starts at column round((5 - 3) / 2) = 1.
    byte[] chw = new byte[3 * 3 * 5];
    for (int i = 0; i < chw.length; i++) {
      chw[i] = (byte) i;
    }
    byte[] crop = LabelledSet.centerCrop(new io.sparkddpm.data.DataImage(0, 1, 3, 3, 5, chw), 3);
    for (int c = 0; c < 3; c++) {
      for (int y = 0; y < 3; y++) {
        for (int x = 0; x < 3; x++) {
          assertEquals(chw[(c * 3 + y) * 5 + x + 1], crop[(c * 3 + y) * 3 + x]);
        }
      }
    }
    byte[] square = new byte[3 * 9];
    assertTrue(
        square
            == LabelledSet.centerCrop(new io.sparkddpm.data.DataImage(0, 1, 3, 3, 3, square), 3));
  }

  @Test
  void aFlatFolderOrAParquetSetWithoutLabelsIsRefusedNamingWhatIsMissing() throws IOException {
    Path flat = Files.createDirectories(work.resolve("flat"));
    for (int i = 0; i < 10; i++) {
      Files.write(flat.resolve(i + ".png"), png(i % 3, i));
    }
    assertRefused(flat, "has no labels: its images are not in class sub-folders");

    Path unlabelled = work.resolve("unlabelled");
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      rows.add(RowFactory.create(RowFactory.create(png(i % 3, i), i + ".png")));
    }
    StructType imageOnly =
        new StructType()
            .add(
                "image",
                new StructType()
                    .add("bytes", DataTypes.BinaryType)
                    .add("path", DataTypes.StringType));
    spark.createDataFrame(rows, imageOnly).coalesce(1).write().parquet(unlabelled.toString());
    assertRefused(unlabelled, "has no labels: its Parquet files have no column label");
  }

  private void assertRefused(Path data, String expected) throws IOException {
    Path out = work.resolve("out-" + data.getFileName());
    Path newClassifier = work.resolve("classifier-" + data.getFileName());
    BadInputException e =
        assertThrows(
            BadInputException.class,
            () ->
                EvaluateJob.evaluate(
                    spark,
                    config(
                        data,
                        "--samples",
                        rgbSamples.toString(),
                        "--output",
                        out.toString(),
                        "--classifier",
                        newClassifier.toString())));
    assertTrue(e.getMessage().startsWith("--data: " + data), e.getMessage());
    assertTrue(e.getMessage().contains(expected), e.getMessage());
    assertTrue(Files.notExists(out), "nothing written");
    assertTrue(Files.notExists(newClassifier), "no classifier trained or saved");
    try (Stream<Path> siblings = Files.list(work)) {
      assertTrue(
          siblings.noneMatch(p -> p.getFileName().toString().startsWith(".")),
          "no staging folder left");
    }
  }
}
