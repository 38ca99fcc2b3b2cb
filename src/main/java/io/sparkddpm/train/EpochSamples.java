package io.sparkddpm.train;

import ai.djl.ndarray.NDManager;
import io.sparkddpm.diffusion.NoiseScheduler;
import io.sparkddpm.io.HadoopFiles;
import io.sparkddpm.io.PngImages;
import io.sparkddpm.model.ParamLayout;
import io.sparkddpm.model.UNet2DModel;
import io.sparkddpm.model.UNetConfig;
import io.sparkddpm.sample.Guidance;
import io.sparkddpm.sample.SampleImages;
import io.sparkddpm.sample.Sampler;
import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * The grid sampled on the driver after each epoch ({@code samples/epoch-<e>.png}), from fixed seeds
 * so that grids of successive epochs show the same starting noise. A class-conditional model's
 * image i is asked for class {@code i % classes}, without guidance.
 */
final class EpochSamples {
  private EpochSamples() {}

  /** Writes the grid of epoch {@code epoch} and returns its PNG. */
  static byte[] write(
      Configuration conf,
      Path output,
      UNetConfig config,
      float[] params,
      TrainConfig cfg,
      int epoch)
      throws IOException {
    int n = cfg.sampleEveryEpoch();
    long[] indices = new long[n];
    for (int i = 0; i < n; i++) {
      indices[i] = i;
    }
    try (NDManager manager = NDManager.newBaseManager()) {
      UNet2DModel model = new UNet2DModel(config);
      model.initialize(manager);
      new ParamLayout(model).copyInto(model, params);
      NoiseScheduler scheduler = NoiseScheduler.create(cfg.epochSampler(cfg.noiseSchedule()));
      scheduler.setTimesteps(cfg.sampleSteps());
      Guidance guidance = null;
      if (config.conditional()) {
        int nullClass = config.numClassEmbeds() - 1;
        guidance =
            Guidance.roundRobin(
                java.util.stream.IntStream.range(0, nullClass).toArray(), indices, nullClass, 1);
      }
      Sampler.Result r =
          Sampler.sample(
              model,
              manager,
              scheduler,
              cfg.seed(),
              indices,
              new Sampler.Options(0, guidance, cfg.precision()));
      byte[] png =
          PngImages.grid(
              SampleImages.toU8(r.images(), n, cfg.range()),
              config.outChannels(),
              config.sampleSize(),
              (int) Math.ceil(Math.sqrt(n)),
              2);
      HadoopFiles.write(
          conf, new Path(output, String.format("samples/epoch-%03d.png", epoch)), png);
      return png;
    }
  }
}
