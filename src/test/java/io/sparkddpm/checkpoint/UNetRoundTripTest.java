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
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A class-conditional UNet written by {@link Checkpoints#writeUNet} is opened by diffusers' own
 * {@code UNet2DModel.from_pretrained} (torch 2.7.1, diffusers 0.42.1, the venv of
 * submit/common.sh), which, given the same inputs and {@code class_labels}, computes our forward.
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
}
