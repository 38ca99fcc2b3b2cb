package io.sparkddpm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonParser;
import io.sparkddpm.checkpoint.Checkpoints;
import io.sparkddpm.data.IdxFiles;
import io.sparkddpm.data.IdxReader;
import io.sparkddpm.data.MnistImage;
import io.sparkddpm.io.HadoopFiles;
import io.sparkddpm.io.PngImages;
import io.sparkddpm.io.SampleParquet;
import io.sparkddpm.model.ParamLayout;
import io.sparkddpm.model.UNet2DModel;
import io.sparkddpm.model.UNetWeights;
import io.sparkddpm.sample.SampleConfig;
import io.sparkddpm.sample.SampleJob;
import io.sparkddpm.train.TinyRun;
import io.sparkddpm.train.TrainConfig;
import io.sparkddpm.train.TrainJob;
import io.sparkddpm.train.Trainer;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TrainJob and SampleJob on a real HDFS (MiniDFSCluster) with local Spark: MNIST read from {@code
 * hdfs://} as IDX and as Hugging Face Parquet, checkpoints, metrics and samples written to {@code
 * hdfs://}, and everything read back from there.
 */
class HdfsEndToEndTest extends SparkSessionTestBase {
  /** Images put on HDFS: three steps of 32, so a four-step run crosses an epoch boundary. */
  private static final int IMAGES = 96;

  @TempDir static File hdfsDir;
  private static MiniHdfs hdfs;
  private static Configuration conf;
  private static FileSystem fs;

  @BeforeAll
  static void startHdfsAndPutMnist() throws Exception {
    hdfs = MiniHdfs.start(hdfsDir);
    conf = spark.sparkContext().hadoopConfiguration();
    fs = hdfs.fs(conf);
    java.nio.file.Path mnist = IdxFiles.projectDir().resolve("data/mnist");
    List<MnistImage> images =
        IdxReader.readPair(
                new Path(mnist.resolve("train-images-idx3-ubyte").toUri()),
                new Path(mnist.resolve("train-labels-idx1-ubyte").toUri()),
                new Configuration())
            .subList(0, IMAGES);
    HadoopFiles.write(
        conf,
        hdfs.path("/mnist/idx/train-images-idx3-ubyte.gz"),
        IdxFiles.gzip(IdxFiles.imagesBytes(images)));
    HadoopFiles.write(
        conf, hdfs.path("/mnist/idx/train-labels-idx1-ubyte"), IdxFiles.labelsBytes(images));
    putHuggingFaceParquet(images, hdfs.uri("/mnist/parquet/train"));
    HadoopFiles.writeText(conf, hdfs.path("/tiny-unet.json"), TinyRun.tinyConfig().toJson());
  }

  /** Hugging Face's MNIST layout: image struct&lt;bytes (PNG), path&gt;, label int64. */
  private static void putHuggingFaceParquet(List<MnistImage> images, String dir) {
    StructType schema =
        new StructType()
            .add(
                "image",
                new StructType()
                    .add("bytes", DataTypes.BinaryType)
                    .add("path", DataTypes.StringType))
            .add("label", DataTypes.LongType);
    List<Row> rows = new ArrayList<>();
    for (MnistImage m : images) {
      byte[] png = PngImages.encode(MnistImage.SIDE, MnistImage.SIDE, m.pixels());
      rows.add(RowFactory.create(RowFactory.create(png, null), (long) m.label()));
    }
    // One file, so (file, row) order is the IDX order and both runs see the same images.
    spark.createDataFrame(rows, schema).coalesce(1).write().parquet(dir);
  }

  @AfterAll
  static void stopHdfs() throws Exception {
    if (hdfs != null) {
      hdfs.close();
    }
  }

  private static Trainer.Result train(String data, String output, String... extra)
      throws Exception {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--data", hdfs.uri(data),
                "--output", hdfs.uri(output),
                "--model-config", hdfs.uri("/tiny-unet.json"),
                "--batch-size", "32",
                "--partitions", "2",
                "--max-steps", "4",
                "--log-every", "2",
                "--seed", "11"));
    args.addAll(Arrays.asList(extra));
    return TrainJob.train(spark, TrainConfig.parse(args.toArray(String[]::new)));
  }

  @Test
  void trainFromIdxAndParquetOnHdfsThenSampleToHdfsAndReadEverythingBack() throws Exception {
    Trainer.Result idx =
        train(
            "/mnist/idx",
            "/runs/idx",
            "--checkpoint-every",
            "1",
            "--keep-checkpoints",
            "2",
            "--sample-every-epoch",
            "4",
            "--sample-steps",
            "2");
    // Two steps from Parquet: the same images in the same order as the IDX files, so the same
    // weights as the IDX run's checkpoint-2, bit for bit.
    Trainer.Result parquet =
        train(
            "/mnist/parquet",
            "/runs/parquet",
            "--max-steps",
            "2",
            "--checkpoint-every",
            "0",
            "--sample-every-epoch",
            "0");
    assertWeightsLoad("/runs/idx/checkpoint-2", parquet.params(), 2);

    assertEquals(
        Set.of("checkpoint-2", "checkpoint-3", "final", "metrics.jsonl", "loss.png", "samples"),
        names("/runs/idx"),
        "older checkpoints pruned, no temporary folder left");
    assertWeightsLoad("/runs/idx/final", idx.params(), 4);
    assertEquals(
        4, HadoopFiles.readText(conf, hdfs.path("/runs/idx/metrics.jsonl")).lines().count());
    decodesAsPng("/runs/idx/loss.png");
    assertEquals(Set.of("epoch-001.png", "epoch-002.png"), names("/runs/idx/samples"));
    decodesAsPng("/runs/idx/samples/epoch-001.png");

    // Resuming reads final/ and metrics.jsonl from HDFS and replaces final/ there.
    Trainer.Result resumed =
        train(
            "/mnist/idx", "/runs/idx", "--max-steps", "5", "--sample-every-epoch", "0", "--resume");
    assertEquals(1, resumed.steps());
    assertWeightsLoad("/runs/idx/final", resumed.params(), 5);
    assertEquals(
        5, HadoopFiles.readText(conf, hdfs.path("/runs/idx/metrics.jsonl")).lines().count());

    sampleAndReadBack("/runs/idx/final", "/samples");
  }

  private void sampleAndReadBack(String model, String output) throws Exception {
    String[] args = {
      "--model", hdfs.uri(model),
      "--output", hdfs.uri(output),
      "--steps", "3",
      "--num-images", "6",
      "--batch-size", "2",
      "--partitions", "2",
      "--seed", "5",
      "--png-per-image"
    };
    SampleJob.sample(spark, SampleConfig.parse(args));
    assertEquals(Set.of("mnist", "runs", "samples", "tiny-unet.json"), names("/"), "no staging");

    List<Row> rows =
        spark.read().parquet(hdfs.uri(output + "/parquet")).orderBy("index").collectAsList();
    assertEquals(6, rows.size());
    for (int i = 0; i < rows.size(); i++) {
      Row r = rows.get(i);
      assertEquals(i, r.getLong(r.fieldIndex("index")));
      byte[] png = r.getStruct(r.fieldIndex("image")).getAs("bytes");
      assertEquals(32, PngImages.decode(png).width());
      byte[] file =
          HadoopFiles.read(conf, hdfs.path(output + String.format("/images/%06d.png", i)));
      assertArrayEquals(png, file, "images/ holds the Parquet row's PNG");
    }
    long viaParquetHadoop = 0;
    for (FileStatus part : fs.listStatus(hdfs.path(output + "/parquet"))) {
      viaParquetHadoop += SampleParquet.read(conf, part.getPath()).size();
    }
    assertEquals(6, viaParquetHadoop);
    decodesAsPng(output + "/grid.png");
    decodesAsPng(output + "/trajectory.png");
    assertTrue(
        JsonParser.parseString(HadoopFiles.readText(conf, hdfs.path(output + "/sample_info.json")))
            .getAsJsonObject()
            .get("checkpoint")
            .getAsString()
            .startsWith("hdfs://"));
  }

  /** The checkpoint's weights load into the Java UNet and equal {@code params}. */
  private static void assertWeightsLoad(String dir, float[] params, long step) throws Exception {
    Checkpoints.Contents c = Checkpoints.read(conf, hdfs.path(dir));
    assertEquals(TinyRun.tinyConfig(), c.unetConfig());
    try (NDManager manager = NDManager.newBaseManager()) {
      UNet2DModel model = new UNet2DModel(c.unetConfig());
      model.initialize(manager);
      UNetWeights.load(model, c.unet(), dir);
      assertArrayEquals(params, new ParamLayout(model).flatten(UNetWeights.export(model)));
    }
    long saved =
        JsonParser.parseString(c.trainerState().orElseThrow())
            .getAsJsonObject()
            .get("step")
            .getAsLong();
    assertEquals(step, saved);
  }

  private static void decodesAsPng(String file) throws Exception {
    byte[] bytes = HadoopFiles.read(conf, hdfs.path(file));
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(bytes));
    assertTrue(image != null && image.getWidth() > 0 && image.getHeight() > 0, file);
  }

  private static Set<String> names(String dir) throws Exception {
    Set<String> names = new TreeSet<>();
    for (FileStatus s : fs.listStatus(hdfs.path(dir))) {
      names.add(s.getPath().getName());
    }
    return names;
  }
}
