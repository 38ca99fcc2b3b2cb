package io.sparkddpm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkddpm.base.BadInputException;
import io.sparkddpm.data.IdxFiles;
import io.sparkddpm.io.SafeTensors;
import io.sparkddpm.io.Tensor;
import io.sparkddpm.sample.SampleConfig;
import io.sparkddpm.sample.SampleJob;
import io.sparkddpm.train.TinyRun;
import io.sparkddpm.train.TrainConfig;
import io.sparkddpm.train.TrainJob;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Inputs a job must refuse before writing anything: non-finite weights, an out-of-range scheduler
 * config, MNIST Parquet with the wrong column types, and URIs no Hadoop file system serves. Each is
 * a {@link BadInputException} (exit code 2) whose message names the input and the field, and the
 * output folder is left as it was.
 */
class HostileInputTest extends SparkSessionTestBase {
  private static final String WEIGHTS = "diffusion_pytorch_model.safetensors";

  @TempDir Path work;

  private static Path referenceUNet() throws Exception {
    return Path.of(HostileInputTest.class.getResource("/reference/unet").toURI());
  }

  /** A pipeline folder: the reference UNet under unet/ and a scheduler_config.json. */
  private Path pipeline(String name, String schedulerJson) throws Exception {
    Path dir = work.resolve(name);
    Files.createDirectories(dir.resolve("unet"));
    Files.createDirectories(dir.resolve("scheduler"));
    for (String f : List.of("config.json", WEIGHTS)) {
      Files.copy(referenceUNet().resolve(f), dir.resolve("unet").resolve(f));
    }
    Files.writeString(dir.resolve("scheduler/scheduler_config.json"), schedulerJson);
    return dir;
  }

  /** Runs SampleJob expecting a usage error; returns its message. */
  private String refusedSample(String model, Path output, String... extra) {
    List<String> args =
        new ArrayList<>(List.of("--model", model, "--output", output.toString(), "--steps", "2"));
    args.addAll(List.of(extra));
    SampleConfig cfg = SampleConfig.parse(args.toArray(String[]::new));
    return assertThrows(BadInputException.class, () -> SampleJob.sample(spark, cfg)).getMessage();
  }

  /** Runs TrainJob on the tiny UNet expecting a usage error; returns its message. */
  private String refusedTrain(String data, String output) throws Exception {
    Path tiny = work.resolve("tiny.json");
    Files.writeString(tiny, TinyRun.tinyConfig().toJson());
    String[] args = {
      "--data", data, "--output", output, "--model-config", tiny.toString(), "--max-steps", "1"
    };
    TrainConfig cfg = TrainConfig.parse(args);
    return assertThrows(BadInputException.class, () -> TrainJob.train(spark, cfg)).getMessage();
  }

  private static void contains(String message, String... fragments) {
    for (String f : fragments) {
      assertTrue(message.contains(f), "\"" + f + "\" missing from: " + message);
    }
  }

  @Test
  void weightsWithNanOrInfinityAreRefusedNamingTheTensorAndFile() throws Exception {
    Path out = work.resolve("out");
    // An existing output and --overwrite: a refused model must leave it as it was.
    Files.createDirectories(out);
    Files.writeString(out.resolve("keep.txt"), "old");
    Map<String, Tensor> good = SafeTensors.read(referenceUNet().resolve(WEIGHTS)).tensors();
    String[] names = good.keySet().toArray(String[]::new);
    String firstName = names[0];
    String lastName = names[names.length - 1];
    Object[][] cases = {
      {firstName, Float.NaN, "NaN"}, {lastName, Float.NEGATIVE_INFINITY, "-Infinity"}
    };
    for (Object[] c : cases) {
      String name = (String) c[0];
      Path bad = pipeline("bad-" + c[2], SCHEDULER);
      Map<String, Tensor> tensors = new LinkedHashMap<>(good);
      float[] values = good.get(name).toFloats();
      values[values.length / 2] = (float) c[1];
      tensors.put(name, Tensor.ofFloats(good.get(name).shape(), values));
      SafeTensors.write(bad.resolve("unet").resolve(WEIGHTS), tensors, Map.of("format", "pt"));

      String message = refusedSample(bad.toString(), out, "--overwrite");
      contains(
          message, "--model", bad.resolve("unet").resolve(WEIGHTS).toString(), "\"" + name + "\"");
      contains(message, c[2] + " at element " + values.length / 2);
    }
    try (var files = Files.list(out)) {
      assertEquals(List.of(out.resolve("keep.txt")), files.toList());
    }
    assertEquals("old", Files.readString(out.resolve("keep.txt")));
  }

  @Test
  void resumingFromACheckpointWithNanWeightsIsRefusedAndLeavesItAsItWas() throws Exception {
    Path tiny = work.resolve("tiny-resume.json");
    Files.writeString(tiny, TinyRun.tinyConfig().toJson());
    Path run = work.resolve("run");
    List<String> args =
        new ArrayList<>(
            List.of(
                "--data", IdxFiles.projectDir().resolve("data/mnist").toString(),
                "--output", run.toString(),
                "--model-config", tiny.toString(),
                "--limit", "64",
                "--batch-size", "32",
                "--partitions", "1",
                "--max-steps", "1",
                "--sample-every-epoch", "0"));
    TrainJob.train(spark, TrainConfig.parse(args.toArray(String[]::new)));
    Path weights = run.resolve("final/unet").resolve(WEIGHTS);
    Map<String, Tensor> tensors = new LinkedHashMap<>(SafeTensors.read(weights).tensors());
    String name = tensors.keySet().iterator().next();
    float[] values = tensors.get(name).toFloats();
    values[0] = Float.NaN;
    tensors.put(name, Tensor.ofFloats(tensors.get(name).shape(), values));
    SafeTensors.write(weights, tensors, Map.of("format", "pt"));
    // Hadoop's local file system would refuse the edited file for its stale checksum first.
    Files.deleteIfExists(weights.resolveSibling("." + WEIGHTS + ".crc"));
    byte[] poisoned = Files.readAllBytes(weights);

    args.addAll(List.of("--resume", "--max-steps", "2"));
    TrainConfig resume = TrainConfig.parse(args.toArray(String[]::new));
    String message =
        assertThrows(BadInputException.class, () -> TrainJob.train(spark, resume)).getMessage();
    contains(message, "--resume", weights.toString(), "\"" + name + "\"", "NaN at element 0");
    assertArrayEquals(poisoned, Files.readAllBytes(weights), "final/ was changed");
    try (var files = Files.list(run)) {
      assertFalse(
          files.anyMatch(f -> f.getFileName().toString().startsWith("checkpoint-2")),
          "a step was taken from NaN weights");
    }
  }

  /** diffusers' DDPMScheduler config of the tutorial; each case edits one part of it. */
  private static final String SCHEDULER =
      "{\"_class_name\": \"DDPMScheduler\", \"num_train_timesteps\": 1000,"
          + " \"beta_start\": 0.0001, \"beta_end\": 0.02, \"beta_schedule\": \"linear\"}";

  @Test
  void schedulerConfigOutOfRangeIsRefusedNamingTheFileAndKey() throws Exception {
    Path out = work.resolve("out");
    String[][] cases = {
      {"\"beta_start\": 0.0001", "\"beta_start\": -0.0001", "beta_start -1.0E-4"},
      {"\"beta_end\": 0.02", "\"beta_end\": 0.00001", "beta_end 1.0E-5"},
      {"\"beta_end\": 0.02", "\"beta_end\": 0.02, \"beta_max\": 0.5", "unknown key \"beta_max\""},
      {"1000", "2000000000", "num_train_timesteps must be in [2, 100000]"},
    };
    for (int i = 0; i < cases.length; i++) {
      String json = SCHEDULER.replace(cases[i][0], cases[i][1]);
      Path model = pipeline("sched-" + i, json);
      String message = refusedSample(model.toString(), out);
      contains(
          message,
          "--model",
          model.resolve("scheduler/scheduler_config.json").toString(),
          cases[i][2]);
    }
    assertFalse(Files.exists(out), "nothing written");
  }

  @Test
  void mnistParquetWithWrongColumnTypesIsRefusedNamingTheFileAndField() throws Exception {
    StructType stringBytes =
        new StructType()
            .add(
                "image",
                new StructType()
                    .add("bytes", DataTypes.StringType)
                    .add("path", DataTypes.StringType))
            .add("label", DataTypes.LongType);
    StructType doubleLabel =
        new StructType()
            .add(
                "image",
                new StructType()
                    .add("bytes", DataTypes.BinaryType)
                    .add("path", DataTypes.StringType))
            .add("label", DataTypes.DoubleType);
    Path strings = work.resolve("strings");
    Path doubles = work.resolve("doubles");
    spark
        .createDataFrame(
            List.of(RowFactory.create(RowFactory.create("png?", null), 3L)), stringBytes)
        .write()
        .parquet(strings.toString());
    List<Row> rows = List.of(RowFactory.create(RowFactory.create(new byte[] {1}, null), 3.5));
    spark.createDataFrame(rows, doubleLabel).write().parquet(doubles.toString());

    Path out = work.resolve("out");
    contains(
        refusedTrain(strings.toString(), out.toString()),
        "--data",
        strings.toString(),
        "image.bytes is string, not binary");
    contains(
        refusedTrain(doubles.toString(), out.toString()),
        "--data",
        doubles.toString(),
        "label is double, not an integer");
    assertFalse(Files.exists(out), "nothing written");
  }

  @Test
  void uriWithAnUnsupportedSchemeIsRefusedNamingTheOption() throws Exception {
    Path out = work.resolve("out");
    contains(
        refusedTrain("bogus://host/mnist", out.toString()),
        "--data",
        "bogus://host/mnist",
        "\"bogus\"");
    // An hdfs:// URI without a NameNode host, while the default file system is the local one.
    contains(refusedTrain("hdfs:///mnist", out.toString()), "--data", "hdfs:///mnist");
    contains(refusedTrain(work.toString(), "bogus://host/out"), "--output", "bogus://host/out");
    contains(refusedSample("bogus://host/ckpt", out), "--model", "bogus://host/ckpt", "\"bogus\"");
    assertFalse(Files.exists(out), "nothing written");
  }
}
