package io.sparkddpm.bench;

import ai.djl.ndarray.NDManager;
import io.sparkddpm.checkpoint.Checkpoints;
import io.sparkddpm.diffusion.NoiseScheduler;
import io.sparkddpm.diffusion.SchedulerConfig;
import io.sparkddpm.model.UNet2DModel;
import io.sparkddpm.model.UNetConfig;
import io.sparkddpm.model.UNetWeights;
import io.sparkddpm.sample.Sampler;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * SampleJob's reverse process ({@link Sampler}, DDPM) over one batch of the tutorial UNet, in one
 * plain Java process: the time of each denoising step. Prints one JSON line; asserts nothing.
 *
 * <p>A step's time is {@link Sampler.Result#stepMs()}, the clock SampleJob's tasks log too, so the
 * two bench rows measure the same interval. The first two steps are the warm-up.
 *
 * <p>Usage: {@code SamplerBenchmark [steps=50] [batch=64] [checkpoint]}: the tutorial UNet with
 * torch's default initialisation (seed 0), or the UNet of a checkpoint folder (a TrainJob output's
 * {@code final/}), as SampleJob would sample it. {@code -Dbench.flat=true} binds the parameters to
 * one flat tensor ({@link io.sparkddpm.model.FlatParameters}) as the executors' models are.
 */
public final class SamplerBenchmark {
  private SamplerBenchmark() {}

  public static void main(String[] args) throws IOException {
    int steps = args.length > 0 ? Integer.parseInt(args[0]) : 50;
    int batch = args.length > 1 ? Integer.parseInt(args[1]) : 64;
    Checkpoints.Contents ckpt =
        args.length > 2 ? Checkpoints.read(new Configuration(), new Path(args[2])) : null;
    UNet2DModel model = new UNet2DModel(ckpt == null ? UNetConfig.tutorial() : ckpt.unetConfig());
    try (NDManager manager = NDManager.newBaseManager()) {
      model.initialize(manager);
      if (ckpt == null) {
        UNetWeights.load(model, UNetWeights.torchDefaultInit(model, 0), "init");
      } else {
        UNetWeights.load(model, ckpt.unet(), args[2]);
      }
      if (Boolean.getBoolean("bench.flat")) {
        io.sparkddpm.model.FlatParameters.bind(model, manager);
      }
      NoiseScheduler scheduler = NoiseScheduler.create(SchedulerConfig.ddpm());
      scheduler.setTimesteps(steps);
      long[] indices = new long[batch];
      for (int i = 0; i < batch; i++) {
        indices[i] = i;
      }
      long started = System.nanoTime();
      Sampler.Result r = Sampler.sample(model, manager, scheduler, 0, indices, 0);
      double totalS = (System.nanoTime() - started) / 1e9;
      List<String> ms =
          Arrays.stream(r.stepMs())
              .mapToObj(v -> String.format(Locale.ROOT, "%.2f", v))
              .collect(Collectors.toList());
      int warm = Math.min(2, ms.size());
      System.out.printf(
          Locale.ROOT,
          "{\"batch\": %d, \"steps\": %d, \"total_s\": %.3f, \"warmup_ms\": %s, \"ms\": %s}%n",
          batch,
          steps,
          totalS,
          ms.subList(0, warm),
          ms.subList(warm, ms.size()));
    }
  }
}
