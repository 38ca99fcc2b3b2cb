package io.sparkddpm.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.sparkddpm.SparkSessionTestBase;
import io.sparkddpm.data.IdxFiles;
import io.sparkddpm.io.PngImages;
import io.sparkddpm.io.SampleParquet;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * EvaluateJob on {@code local[2]} with the real MNIST files. The classifier is trained once for the
 * class on a subset (the first 12,000 training images, 2 epochs of the default recipe), so the
 * accuracy checked here is the documented CI figure of 95% (measured: 0.960 on the 10,000 test
 * images); the full 60,000-image, 8-epoch default reaches 0.993 (docs/evaluation.md, "Classifier").
 */
class EvaluateJobTest extends SparkSessionTestBase {
  /** CI's accuracy bar for the subset-trained classifier. */
  static final double SUBSET_ACCURACY = 0.95;

  static final int N = 300;

  /** Relative FID difference allowed between --precision bf16 and fp32 scoring of one set. */
  static final double BF16_FID_TOLERANCE = 0.02; // measured 0.4%, 0.02%, 0.1%

  @TempDir static Path shared;
  @TempDir Path work;

  static Path classifier;
  static Path blurredPngs;
  static List<byte[]> blurred;
  static EvaluateJob.Result first;

  @BeforeAll
  static void trainClassifierAndScoreBlurredTestImages() throws IOException {
    blurred = blurredTestImages();
    blurredPngs = shared.resolve("blurred");
    Files.createDirectories(blurredPngs);
    for (int i = 0; i < blurred.size(); i++) {
      Files.write(
          blurredPngs.resolve(String.format("%06d.png", i)),
          PngImages.encode(32, 32, blurred.get(i)));
    }
    classifier = shared.resolve("classifier");
    first =
        EvaluateJob.evaluate(
            spark,
            config(
                "--samples", blurredPngs.toString(),
                "--output", shared.resolve("first").toString(),
                "--classifier", classifier.toString(),
                "--classifier-limit", "12000",
                "--classifier-epochs", "2",
                "--min-classifier-accuracy", Double.toString(SUBSET_ACCURACY)));
  }

  static EvaluateConfig config(String... args) {
    List<String> all =
        new ArrayList<>(
            List.of(
                "--data",
                IdxFiles.projectDir().resolve("data/mnist").toString(),
                "--reference-limit",
                "2000",
                "--partitions",
                "2"));
    all.addAll(List.of(args));
    return EvaluateConfig.parse(all.toArray(new String[0]));
  }

  /**
   * MNIST test images 5000..5299 (outside the 2,000 reference images), resized to 32x32 and
   * box-blurred 3x3 twice: recognisable digits, but not the data's sharp strokes.
   */
  static List<byte[]> blurredTestImages() {
    LabelledImages test = mnistTest(5000 + N);
    List<byte[]> out = new ArrayList<>();
    for (int i = 5000; i < 5000 + N; i++) {
      byte[] img = new byte[1024];
      System.arraycopy(test.pixels(), i * 1024, img, 0, 1024);
      out.add(boxBlur(boxBlur(img)));
    }
    return out;
  }

  /** The first {@code limit} MNIST test images, resized to 32x32 as EvaluateJob reads them. */
  static LabelledImages mnistTest(long limit) {
    LabelledSet mnist =
        LabelledSet.locate(
            spark.sparkContext().hadoopConfiguration(),
            IdxFiles.projectDir().resolve("data/mnist").toString(),
            io.sparkddpm.data.ImageSource.Columns.DEFAULT);
    return LabelledImages.collect(
        mnist.part(spark, true, new ImageSets.Shape(1, 32), 2, limit), 1, 32);
  }

  static byte[] boxBlur(byte[] img) {
    byte[] out = new byte[img.length];
    for (int y = 0; y < 32; y++) {
      for (int x = 0; x < 32; x++) {
        int sum = 0;
        int count = 0;
        for (int dy = -1; dy <= 1; dy++) {
          for (int dx = -1; dx <= 1; dx++) {
            int yy = y + dy;
            int xx = x + dx;
            if (yy >= 0 && yy < 32 && xx >= 0 && xx < 32) {
              sum += img[yy * 32 + xx] & 0xFF;
              count++;
            }
          }
        }
        out[y * 32 + x] = (byte) Math.round(sum / (float) count);
      }
    }
    return out;
  }

  @Test
  void classifierTrainedOnASubsetReachesTheDocumentedAccuracyAndIsStored() throws IOException {
    assertTrue(first.classifierTrained());
    assertTrue(
        first.classifierAccuracy() >= SUBSET_ACCURACY,
        "test accuracy " + first.classifierAccuracy());
    assertTrue(Files.exists(classifier.resolve("config.json")));
    assertTrue(Files.exists(classifier.resolve("model.safetensors")));
    Classifier reread =
        Classifier.read(new Configuration(), new org.apache.hadoop.fs.Path(classifier.toString()));
    assertEquals(first.classifierAccuracy(), reread.testAccuracy());
    JsonObject metrics = metrics(shared.resolve("first"));
    assertEquals(
        first.classifierAccuracy(),
        metrics.getAsJsonObject("classifier").get("test_accuracy").getAsDouble());
    // The executors' accuracy on the first 2,000 test images (0.9445 measured), a part of the
    // 10,000 the driver measured 0.9604 on: the same network, run distributed.
    double referenceAccuracy =
        metrics.getAsJsonObject("reference").get("classifier_accuracy").getAsDouble();
    assertTrue(
        referenceAccuracy >= SUBSET_ACCURACY - 0.03, "reference accuracy " + referenceAccuracy);
  }

  @Test
  void blurredTestImagesScoreBetweenTheFloorAndTheCeiling() {
    double floor = first.floor().fid();
    double blurredFid = first.samples().fid();
    double ceiling = first.ceiling().fid();
    assertTrue(floor < blurredFid, "floor " + floor + " vs blurred " + blurredFid);
    assertTrue(blurredFid < ceiling, "blurred " + blurredFid + " vs ceiling " + ceiling);
    assertEquals(N, first.samples().count());
    assertEquals(N, first.floor().count());
    assertEquals(N, first.ceiling().count());
    assertTrue(first.floor().meanConfidence() > first.ceiling().meanConfidence());
    assertEquals(0, first.ceiling().blankFraction()); // uniform noise always has a bright pixel
    assertTrue(first.floor().entropyBits() > 3.0, "real digits cover the ten classes");
  }

  @Test
  void sampleJobParquetScoresLikeThePngFolderAndTheRunRepeatsBitwise() throws IOException {
    Path samples = work.resolve("samples");
    List<SampleParquet.SampleRow> rows = new ArrayList<>();
    for (int i = 0; i < blurred.size(); i++) {
      rows.add(
          new SampleParquet.SampleRow(
              PngImages.encode(32, 32, blurred.get(i)), null, i, 0, "ddpm", 5, "test"));
    }
    Files.createDirectories(samples.resolve("parquet"));
    SampleParquet.write(
        new Configuration(),
        new org.apache.hadoop.fs.Path(samples.resolve("parquet/part-00000.parquet").toString()),
        rows);

    EvaluateJob.Result fromParquet =
        EvaluateJob.evaluate(
            spark,
            config(
                "--samples", samples.toString(),
                "--output", work.resolve("parquet-eval").toString(),
                "--classifier", classifier.toString()));
    EvaluateJob.Result again =
        EvaluateJob.evaluate(
            spark,
            config(
                "--samples", blurredPngs.toString(),
                "--output", work.resolve("png-eval").toString(),
                "--classifier", classifier.toString()));

    assertFalse(fromParquet.classifierTrained());
    assertEquals(N, fromParquet.samples().count());
    assertEquals(first.samples().fid(), fromParquet.samples().fid(), 1e-9 * first.samples().fid());
    assertEquals(first.samples().fid(), again.samples().fid(), 0.0, "same input, same bits");
    assertEquals(first.ceiling().fid(), again.ceiling().fid(), 0.0);
    JsonObject metrics = metrics(work.resolve("parquet-eval"));
    assertEquals("parquet", metrics.getAsJsonObject("samples").get("format").getAsString());
    BufferedImage figure = ImageIO.read(work.resolve("parquet-eval/evaluation.png").toFile());
    assertTrue(figure.getWidth() >= EvaluationFigure.WIDTH, "width " + figure.getWidth());
    assertTrue(figure.getHeight() > EvaluationFigure.CHART_HEIGHT + 10 * 64);
  }

  @Test
  void samplesWithAClassColumnReportConditionalAccuracyOverallAndPerClass() throws IOException {
    // "Samples" that are real MNIST test images (5000..5299), asked for their true digit, then
    // for a shuffled one: the classifier's accuracy, then about 1 in 10.
    LabelledImages test = mnistTest(5000 + N);
    int[] labels = Arrays.copyOfRange(test.labels(), 5000, 5000 + N);
    int[] shuffled = labels.clone();
    java.util.Random random = new java.util.Random(3);
    for (int i = shuffled.length - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = shuffled[i];
      shuffled[i] = shuffled[j];
      shuffled[j] = t;
    }
    JsonObject truth = conditionalMetrics(test, labels, "true");
    JsonObject wrong = conditionalMetrics(test, shuffled, "shuffled");
    double accuracy = truth.get("conditional_accuracy").getAsDouble();
    double chance = wrong.get("conditional_accuracy").getAsDouble();
    System.out.printf(
        "conditional accuracy: true labels %.4f, shuffled %.4f (classifier test accuracy %.4f)%n",
        accuracy, chance, first.classifierAccuracy());
    assertEquals(first.classifierAccuracy(), accuracy, 0.03);
    assertEquals(0.1, chance, 0.05);
    assertFalse(truth.has("classifier_accuracy"));
    JsonObject perClass = truth.getAsJsonObject("conditional_accuracy_per_class");
    assertEquals(10, perClass.size());
    long[] counts = new long[10];
    for (int l : labels) {
      counts[l]++;
    }
    double weighted = 0;
    for (int c = 0; c < 10; c++) {
      weighted += counts[c] * perClass.get(Integer.toString(c)).getAsDouble();
    }
    assertEquals(accuracy, weighted / N, 1e-9, "the per-class figures add up to the overall one");
  }

  private JsonObject conditionalMetrics(LabelledImages test, int[] classes, String name)
      throws IOException {
    Path samples = work.resolve(name);
    List<SampleParquet.SampleRow> rows = new ArrayList<>();
    for (int i = 0; i < N; i++) {
      byte[] img = Arrays.copyOfRange(test.pixels(), (5000 + i) * 1024, (5001 + i) * 1024);
      rows.add(
          new SampleParquet.SampleRow(
              PngImages.encode(32, 32, img),
              null,
              i,
              0,
              "ddpm",
              5,
              "test",
              (long) classes[i],
              1.0));
    }
    Files.createDirectories(samples.resolve("parquet"));
    SampleParquet.write(
        new Configuration(),
        new org.apache.hadoop.fs.Path(samples.resolve("parquet/part-00000.parquet").toString()),
        rows);
    EvaluateJob.evaluate(
        spark,
        config(
            "--samples", samples.toString(),
            "--output", work.resolve(name + "-eval").toString(),
            "--classifier", classifier.toString()));
    return metrics(work.resolve(name + "-eval")).getAsJsonObject("samples");
  }

  /**
   * {@code --precision bf16} scores with the float32-trained classifier in bfloat16: its features
   * are rounded (the FID moves) but stay within {@link #BF16_FID_TOLERANCE} of float32's.
   */
  @Test
  void bf16ScoringReusesTheClassifierAndGivesFp32sFiguresWithinItsRounding() throws IOException {
    Path out = work.resolve("bf16-eval");
    EvaluateJob.Result bf16 =
        EvaluateJob.evaluate(
            spark,
            config(
                "--samples", blurredPngs.toString(),
                "--output", out.toString(),
                "--classifier", classifier.toString(),
                "--precision", "bf16"));
    assertFalse(bf16.classifierTrained(), "the classifier is reused, trained in fp32");
    System.out.printf(
        "EvaluateJob FID fp32 / bf16: samples %.4f / %.4f, floor %.4f / %.4f, ceiling %.2f / %.2f%n",
        first.samples().fid(),
        bf16.samples().fid(),
        first.floor().fid(),
        bf16.floor().fid(),
        first.ceiling().fid(),
        bf16.ceiling().fid());
    assertNotEquals(first.samples().fid(), bf16.samples().fid(), "bf16 features are rounded");
    for (double[] pair :
        new double[][] {
          {first.samples().fid(), bf16.samples().fid()},
          {first.floor().fid(), bf16.floor().fid()},
          {first.ceiling().fid(), bf16.ceiling().fid()}
        }) {
      assertEquals(pair[0], pair[1], BF16_FID_TOLERANCE * pair[0], "fp32 against bf16 FID");
    }
    assertEquals(N, bf16.samples().count());
    JsonObject metrics = metrics(out);
    assertEquals("bf16", metrics.getAsJsonObject("classifier").get("precision").getAsString());
    assertEquals(
        "fp32",
        metrics(shared.resolve("first"))
            .getAsJsonObject("classifier")
            .get("precision")
            .getAsString());
  }

  @Test
  void fidAboveMaxFidFailsTheRunAfterWritingTheMetrics() {
    Path out = work.resolve("gated");
    EvaluateConfig cfg =
        config(
            "--samples", blurredPngs.toString(),
            "--output", out.toString(),
            "--classifier", classifier.toString(),
            "--max-fid", "0.001");
    EvaluateJob.QualityGateFailed e =
        assertThrows(EvaluateJob.QualityGateFailed.class, () -> new EvaluateJob().run(spark, cfg));
    assertTrue(e.getMessage().contains("--max-fid 0.001"), e.getMessage());
    assertTrue(Files.exists(out.resolve("metrics.json")));
  }

  private static JsonObject metrics(Path out) throws IOException {
    return JsonParser.parseString(Files.readString(out.resolve("metrics.json"))).getAsJsonObject();
  }
}
