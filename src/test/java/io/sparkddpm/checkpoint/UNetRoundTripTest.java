package io.sparkddpm.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import io.sparkddpm.Reference;
import io.sparkddpm.TorchVenv;
import io.sparkddpm.io.SafeTensors;
import io.sparkddpm.io.Tensor;
import io.sparkddpm.model.UNet2DModel;
import io.sparkddpm.model.UNetConfig;
import io.sparkddpm.model.UNetWeights;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * diffusers reads what we write (torch 2.7.1, diffusers 0.42.1, the venv of submit/common.sh): a
 * class-conditional UNet written by {@link Checkpoints#writeUNet} is opened by {@code
 * UNet2DModel.from_pretrained}, which, given the same inputs and {@code class_labels}, computes our
 * forward; an RGB TrainJob checkpoint is opened by {@code DDPMPipeline.from_pretrained}, which
 * generates with it.
 */
class UNetRoundTripTest {

  @Test
  void diffusersRunsOurConditionalCheckpointWithClassLabels(@TempDir Path dir) throws Exception {
    UNetConfig config =
        UNetConfig.builder()
            .sampleSize(8)
            .inChannels(1)
            .outChannels(1)
            .layersPerBlock(1)
            .blockOutChannels(8, 16)
            .downBlockTypes("DownBlock2D", "AttnDownBlock2D")
            .upBlockTypes("AttnUpBlock2D", "UpBlock2D")
            .normNumGroups(4)
            .numClassEmbeds(11)
            .build();
    SplittableRandom random = new SplittableRandom(5);
    float[] sample = new float[3 * 64];
    for (int i = 0; i < sample.length; i++) {
      sample[i] = (float) random.nextGaussian();
    }
    long[] timesteps = {999, 17, 400};
    long[] labels = {10, 0, 6};
    float[] ours;
    try (NDManager manager = NDManager.newBaseManager()) {
      UNet2DModel model = new UNet2DModel(config);
      model.initialize(manager);
      UNetWeights.load(model, UNetWeights.torchDefaultInit(model, 11), "init");
      Checkpoints.writeUNet(
          new Configuration(),
          new org.apache.hadoop.fs.Path(dir.resolve("unet").toUri()),
          config,
          UNetWeights.export(model));
      NDList in =
          new NDList(
              manager.create(sample, new ai.djl.ndarray.types.Shape(3, 1, 8, 8)),
              manager.create(timesteps),
              manager.create(labels));
      ours = model.forward(new ParameterStore(manager, false), in, false).head().toFloatArray();
    }
    Map<String, Tensor> inputs = new LinkedHashMap<>();
    inputs.put("sample", Tensor.ofFloats(new long[] {3, 1, 8, 8}, sample));
    inputs.put("timesteps", Tensor.ofLongs(new long[] {3}, timesteps));
    inputs.put("class_labels", Tensor.ofLongs(new long[] {3}, labels));
    SafeTensors.write(dir.resolve("in.safetensors"), inputs, Map.of());

    String said =
        TorchVenv.run(
            "/diffusers/run_unet.py",
            dir.resolve("unet").toString(),
            dir.resolve("in.safetensors").toString(),
            dir.resolve("out.safetensors").toString());
    assertTrue(said.contains("class_embedding"), said);
    float[] theirs = SafeTensors.read(dir.resolve("out.safetensors")).get("output").toFloats();
    assertEquals(ours.length, theirs.length);
    double diff = Reference.maxAbsDiff(theirs, ours);
    System.out.printf("diffusers from_pretrained vs ours: max-abs %.3e%n", diff);
    assertTrue(diff <= 1e-4, "max-abs " + diff);
  }

  /**
   * {@code DDPMPipeline.from_pretrained} opens the {@code final/} folder of a tiny 3-channel
   * TrainJob run (RGB PNGs of 24 pixels resized to the model's 16), generates an image of shape (1,
   * 16, 16, 3), and its UNet computes our forward on a fixed input.
   */
  @Test
  void diffusersPipelineOpensAnRgbTrainJobCheckpointAndGeneratesAnImage(@TempDir Path dir)
      throws Exception {
    UNetConfig config =
        UNetConfig.builder()
            .sampleSize(16)
            .inChannels(3)
            .outChannels(3)
            .layersPerBlock(1)
            .blockOutChannels(8, 16)
            .downBlockTypes("DownBlock2D", "AttnDownBlock2D")
            .upBlockTypes("AttnUpBlock2D", "UpBlock2D")
            .normNumGroups(4)
            .build();
    java.nio.file.Files.writeString(dir.resolve("rgb.json"), config.toJson());
    io.sparkddpm.data.ImageFixtures.writeFolder(dir.resolve("data"), 8, 24);
    org.apache.spark.sql.SparkSession spark =
        org.apache.spark.sql.SparkSession.builder()
            .appName("test")
            .master("local[2]")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.driver.host", "127.0.0.1")
            .getOrCreate();
    try {
      io.sparkddpm.train.TrainJob.train(
          spark,
          io.sparkddpm.train.TrainConfig.parse(
              "--data",
              dir.resolve("data").toString(),
              "--output",
              dir.resolve("run").toString(),
              "--model-config",
              dir.resolve("rgb.json").toString(),
              "--batch-size",
              "4",
              "--max-steps",
              "2",
              "--partitions",
              "2",
              "--sample-every-epoch",
              "0",
              "--checkpoint-every",
              "0",
              "--random-flip"));
    } finally {
      spark.stop();
    }
    Path pipeline = dir.resolve("run/final");

    SplittableRandom random = new SplittableRandom(9);
    float[] sample = new float[2 * 3 * 16 * 16];
    for (int i = 0; i < sample.length; i++) {
      sample[i] = (float) random.nextGaussian();
    }
    long[] timesteps = {999, 250};
    float[] ours;
    Checkpoints.Contents ckpt =
        Checkpoints.read(new Configuration(), new org.apache.hadoop.fs.Path(pipeline.toUri()));
    assertEquals(config, ckpt.unetConfig());
    try (NDManager manager = NDManager.newBaseManager()) {
      UNet2DModel model = new UNet2DModel(ckpt.unetConfig());
      model.initialize(manager);
      UNetWeights.load(model, ckpt.unet(), pipeline.toString());
      NDList in =
          new NDList(
              manager.create(sample, new ai.djl.ndarray.types.Shape(2, 3, 16, 16)),
              manager.create(timesteps));
      ours = model.forward(new ParameterStore(manager, false), in, false).head().toFloatArray();
    }
    Map<String, Tensor> inputs = new LinkedHashMap<>();
    inputs.put("sample", Tensor.ofFloats(new long[] {2, 3, 16, 16}, sample));
    inputs.put("timesteps", Tensor.ofLongs(new long[] {2}, timesteps));
    SafeTensors.write(dir.resolve("in.safetensors"), inputs, Map.of());

    String said =
        TorchVenv.run(
            "/diffusers/run_pipeline.py",
            pipeline.toString(),
            dir.resolve("in.safetensors").toString(),
            dir.resolve("out.safetensors").toString());
    System.out.print(said);
    SafeTensors.Contents out = SafeTensors.read(dir.resolve("out.safetensors"));
    assertEquals(
        List.of(1L, 16L, 16L, 3L), Arrays.stream(out.get("image").shape()).boxed().toList());
    for (float v : out.get("image").toFloats()) {
      assertTrue(v >= 0 && v <= 1, "pipeline pixel " + v);
    }
    float[] theirs = out.get("output").toFloats();
    assertEquals(ours.length, theirs.length);
    double diff = Reference.maxAbsDiff(theirs, ours);
    System.out.printf("DDPMPipeline's UNet vs ours on an RGB checkpoint: max-abs %.3e%n", diff);
    assertTrue(diff <= 1e-4, "max-abs " + diff);
  }
}
