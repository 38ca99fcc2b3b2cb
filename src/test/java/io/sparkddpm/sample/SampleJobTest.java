package io.sparkddpm.sample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkddpm.SparkSessionTestBase;
import io.sparkddpm.base.BadInputException;
import io.sparkddpm.cli.UsageException;
import io.sparkddpm.io.PngImages;
import io.sparkddpm.io.SampleParquet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SampleJob on local[2,4] with diffusers' own reference checkpoint (a bare unet/ folder). */
class SampleJobTest extends SparkSessionTestBase {
  @TempDir Path work;

  private static Path referenceUNet() throws Exception {
    return Path.of(SampleJobTest.class.getResource("/reference/unet").toURI());
  }

  private SampleJob.Result run(String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of("--model", referenceUNet().toString()));
    all.addAll(Arrays.asList(args));
    return SampleJob.sample(spark, SampleConfig.parse(all.toArray(String[]::new)));
  }

  private static List<Row> rows(Path out) {
    return spark.read().parquet(out.resolve("parquet").toString()).orderBy("index").collectAsList();
  }

  @Test
  void diffusersCheckpointSamplesToParquetGridAndTrajectory() throws Exception {
    Path out = work.resolve("samples");
    run(
        "--output",
        out.toString(),
        "--steps",
        "5",
        "--num-images",
        "6",
        "--batch-size",
        "4",
        "--png-per-image");
    Dataset<Row> df = spark.read().parquet(out.resolve("parquet").toString());
    StructType image =
        DataTypes.createStructType(
            List.of(
                DataTypes.createStructField("bytes", DataTypes.BinaryType, true),
                DataTypes.createStructField("path", DataTypes.StringType, true)));
    assertEquals(image, df.schema().apply("image").dataType());
    assertEquals(DataTypes.LongType, df.schema().apply("index").dataType());
    assertEquals(DataTypes.LongType, df.schema().apply("seed").dataType());
    assertEquals(DataTypes.StringType, df.schema().apply("scheduler").dataType());
    assertEquals(DataTypes.IntegerType, df.schema().apply("steps").dataType());
    assertEquals(DataTypes.StringType, df.schema().apply("checkpoint").dataType());
    List<Row> rows = rows(out);
    assertEquals(6, rows.size());
    for (int i = 0; i < rows.size(); i++) {
      Row r = rows.get(i);
      assertEquals(i, r.getLong(r.fieldIndex("index")));
      assertEquals("ddpm", r.getString(r.fieldIndex("scheduler")));
      assertEquals(5, r.getInt(r.fieldIndex("steps")));
      var png = PngImages.decode((byte[]) r.getStruct(r.fieldIndex("image")).get(0));
      assertEquals(32, png.width());
      assertEquals(32, png.height());
      assertTrue(Files.exists(out.resolve("images").resolve(String.format("%06d.png", i))));
    }
    // Any Parquet reader: parquet-hadoop directly, one file per task.
    long viaParquet = 0;
    try (var files = Files.list(out.resolve("parquet"))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".parquet")).toList()) {
        viaParquet +=
            SampleParquet.read(
                    new org.apache.hadoop.conf.Configuration(),
                    new org.apache.hadoop.fs.Path(f.toString()))
                .size();
      }
    }
    assertEquals(6, viaParquet);
    var grid = PngImages.decode(Files.readAllBytes(out.resolve("grid.png")));
    assertEquals(3 * 32 + 4 * 2, grid.width()); // 3 columns of 32 with 2-pixel padding
    var trajectory = PngImages.decode(Files.readAllBytes(out.resolve("trajectory.png")));
    assertEquals(5 * 32 + 6 * 2, trajectory.width()); // 5 points (steps < 10)
    assertEquals(6 * 32 + 7 * 2, trajectory.height()); // 6 samples
    assertTrue(Files.exists(out.resolve("sample_info.json")));
    try (var siblings = Files.list(work)) {
      assertEquals(List.of(out), siblings.toList(), "no staging folder left beside the output");
    }
  }

  @Test
  void dpmSolverWithTrailingSpacingIsRecordedInTheRowsAndSampleInfo() throws Exception {
    Path out = work.resolve("dpm");
    run(
        "--output",
        out.toString(),
        "--steps",
        "4",
        "--num-images",
        "3",
        "--scheduler",
        "dpmsolver++",
        "--timestep-spacing",
        "trailing");
    for (Row r : rows(out)) {
      assertEquals("dpmsolver++", r.getString(r.fieldIndex("scheduler")));
      assertEquals(4, r.getInt(r.fieldIndex("steps")));
    }
    String info = Files.readString(out.resolve("sample_info.json"));
    assertTrue(info.contains("DPMSolverMultistepScheduler"), info);
    assertTrue(info.contains("\"timestep_spacing\": \"trailing\""), info);

    var unknown =
        assertThrows(
            UsageException.class,
            () -> run("--output", work.resolve("x").toString(), "--scheduler", "euler"));
    assertTrue(unknown.getMessage().contains("ddpm, ddim or dpmsolver++"), unknown.getMessage());
    var spacing =
        assertThrows(
            UsageException.class,
            () -> run("--output", work.resolve("x").toString(), "--timestep-spacing", "uniform"));
    assertTrue(spacing.getMessage().contains("--timestep-spacing"), spacing.getMessage());
    // this checkpoint has no scheduler: DDPM's "leading", whose 1000 solver steps repeat 0
    var repeated =
        assertThrows(
            BadInputException.class,
            () ->
                run(
                    "--output",
                    work.resolve("x").toString(),
                    "--scheduler",
                    "dpmsolver++",
                    "--steps",
                    "1000"));
    assertTrue(repeated.getMessage().contains("repeat timestep"), repeated.getMessage());
    assertFalse(Files.exists(work.resolve("x")), "nothing written for refused input");
  }

  @Test
  void sameSeedGivesTheSameImagesWhateverThePartitionsAndBatchSize() throws Exception {
    Path a = work.resolve("a");
    Path b = work.resolve("b");
    run(
        "--output",
        a.toString(),
        "--steps",
        "5",
        "--num-images",
        "6",
        "--batch-size",
        "6",
        "--partitions",
        "1",
        "--seed",
        "3");
    run(
        "--output",
        b.toString(),
        "--steps",
        "5",
        "--num-images",
        "6",
        "--batch-size",
        "2",
        "--partitions",
        "3",
        "--seed",
        "3");
    List<Row> ra = rows(a);
    List<Row> rb = rows(b);
    // Pixels come from float32 convolutions over different batch sizes, so an 8-bit level can
    // flip where a value sits on a rounding boundary: at most 1 level, on under 1% of pixels.
    int differing = 0;
    int total = 0;
    for (int i = 0; i < 6; i++) {
      byte[] pa = PngImages.decode((byte[]) ra.get(i).getStruct(0).get(0)).pixels();
      byte[] pb = PngImages.decode((byte[]) rb.get(i).getStruct(0).get(0)).pixels();
      for (int p = 0; p < pa.length; p++) {
        int d = Math.abs((pa[p] & 0xFF) - (pb[p] & 0xFF));
        assertTrue(d <= 1, "image " + i + " pixel " + p + " differs by " + d);
        differing += d;
        total++;
      }
    }
    System.out.printf(
        "partition invariance: %d of %d pixels differ by one level%n", differing, total);
    assertTrue(differing < total / 100);
  }

  /**
   * SampleJob --precision bf16 end to end: the same images from two runs with other partitions and
   * batch sizes (bitwise), close to the fp32 run's but not equal to them (the switch reaches the
   * tasks' forward), and the precision recorded in sample_info.json.
   */
  @Test
  void bf16SamplesAreReproducibleCloseToFp32AndRecorded() throws Exception {
    String[] common = {"--steps", "4", "--num-images", "4", "--seed", "5"};
    Path fp32 = work.resolve("fp32");
    Path bf16 = work.resolve("bf16");
    Path again = work.resolve("bf16-again");
    run(concat(common, "--output", fp32.toString(), "--batch-size", "4", "--partitions", "1"));
    run(
        concat(
            common,
            "--output",
            bf16.toString(),
            "--precision",
            "bf16",
            "--batch-size",
            "4",
            "--partitions",
            "1"));
    run(
        concat(
            common,
            "--output",
            again.toString(),
            "--precision",
            "bf16",
            "--batch-size",
            "2",
            "--partitions",
            "2"));
    List<Row> f = rows(fp32);
    List<Row> b = rows(bf16);
    List<Row> a = rows(again);
    long sum = 0;
    int max = 0;
    int pixels = 0;
    for (int i = 0; i < 4; i++) {
      byte[] pf = PngImages.decode((byte[]) f.get(i).getStruct(0).get(0)).pixels();
      byte[] pb = PngImages.decode((byte[]) b.get(i).getStruct(0).get(0)).pixels();
      byte[] pa = PngImages.decode((byte[]) a.get(i).getStruct(0).get(0)).pixels();
      assertTrue(Arrays.equals(pb, pa), "bf16 image " + i + " depends on the batch");
      for (int p = 0; p < pf.length; p++) {
        int d = Math.abs((pf[p] & 0xFF) - (pb[p] & 0xFF));
        sum += d;
        max = Math.max(max, d);
        pixels++;
      }
    }
    double mean = (double) sum / pixels;
    System.out.printf(
        "bf16 against fp32: mean %.3f levels, max %d, %d pixels%n", mean, max, pixels);
    assertTrue(sum > 0, "bf16 gave the fp32 images: the forward did not run in bf16");
    // bf16 keeps 8 significant bits (relative error 2^-9 a value); over 4 steps of this UNet the
    // images stay within 2 of 255 levels on average (seen: see the line printed above)
    assertTrue(mean < 2.0, "bf16 drifts " + mean + " levels from fp32 on average");
    String info = Files.readString(bf16.resolve("sample_info.json"));
    assertTrue(info.matches("(?s).*\"precision\": \"bf16\".*"), info);
  }

  private static String[] concat(String[] a, String... b) {
    List<String> all = new ArrayList<>(Arrays.asList(a));
    all.addAll(Arrays.asList(b));
    return all.toArray(String[]::new);
  }

  @Test
  void badInputIsRefusedClearlyAndLeavesNoOutput() throws Exception {
    Path out = work.resolve("out");
    var missing =
        assertThrows(
            BadInputException.class,
            () ->
                SampleJob.sample(
                    spark,
                    SampleConfig.parse(
                        new String[] {
                          "--model", work.resolve("nope").toString(), "--output", out.toString()
                        })));
    assertTrue(missing.getMessage().contains("does not exist"), missing.getMessage());

    Path broken = work.resolve("broken");
    Files.createDirectories(broken);
    Files.writeString(
        broken.resolve("config.json"),
        Files.readString(referenceUNet().resolve("config.json")).replace("\"silu\"", "\"gelu\""));
    Files.copy(
        referenceUNet().resolve("diffusion_pytorch_model.safetensors"),
        broken.resolve("diffusion_pytorch_model.safetensors"));
    var config =
        assertThrows(
            BadInputException.class,
            () ->
                SampleJob.sample(
                    spark,
                    SampleConfig.parse(
                        new String[] {"--model", broken.toString(), "--output", out.toString()})));
    assertTrue(config.getMessage().contains("act_fn"), config.getMessage());

    Files.writeString(
        broken.resolve("config.json"), Files.readString(referenceUNet().resolve("config.json")));
    Files.write(broken.resolve("diffusion_pytorch_model.safetensors"), new byte[] {1, 2, 3});
    var weights =
        assertThrows(
            BadInputException.class,
            () ->
                SampleJob.sample(
                    spark,
                    SampleConfig.parse(
                        new String[] {"--model", broken.toString(), "--output", out.toString()})));
    assertTrue(
        weights.getMessage().contains("diffusion_pytorch_model.safetensors"), weights.getMessage());

    var steps =
        assertThrows(UsageException.class, () -> run("--output", out.toString(), "--steps", "0"));
    assertTrue(steps.getMessage().contains("--steps"), steps.getMessage());
    assertThrows(UsageException.class, () -> run("--output", out.toString(), "--steps", "1001"));
    assertFalse(Files.exists(out), "nothing written for refused input");

    Files.createDirectories(out);
    Files.writeString(out.resolve("keep.txt"), "old");
    var exists =
        assertThrows(
            BadInputException.class,
            () -> run("--output", out.toString(), "--steps", "2", "--num-images", "1"));
    assertTrue(exists.getMessage().contains("--overwrite"), exists.getMessage());
    assertEquals("old", Files.readString(out.resolve("keep.txt")));
    run("--output", out.toString(), "--steps", "2", "--num-images", "1", "--overwrite");
    assertFalse(Files.exists(out.resolve("keep.txt")));
    assertTrue(Files.exists(out.resolve("grid.png")));
    try (var siblings = Files.list(work)) {
      assertTrue(
          siblings.noneMatch(p -> p.getFileName().toString().startsWith(".")), "no staging left");
    }
  }
}
