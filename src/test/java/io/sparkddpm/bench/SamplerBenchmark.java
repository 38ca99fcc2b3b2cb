package io.sparkddpm.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.sparkddpm.diffusion.NoiseScheduler;
import io.sparkddpm.diffusion.SchedulerConfig;
import io.sparkddpm.model.UNet2DModel;
import io.sparkddpm.model.UNetConfig;
import io.sparkddpm.model.UNetWeights;
import io.sparkddpm.sample.Sampler;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * SampleJob's reverse process ({@link Sampler}, DDPM) over one batch of the tutorial UNet, in one
 * plain Java process: the time of each denoising step. Prints one JSON line; asserts nothing.
 *
 * <p>A step's time is the interval between two consecutive variance-noise draws, which the loop
 * makes once per step after the model call: so each interval covers one scheduler step and one
 * model forward, the loop's own code unchanged. The first two intervals are the warm-up.
 *
 * <p>Usage: {@code SamplerBenchmark [steps=50] [batch=64]}
 */
public final class SamplerBenchmark {
  private SamplerBenchmark() {}

  public static void main(String[] args) {
    int steps = args.length > 0 ? Integer.parseInt(args[0]) : 50;
    int batch = args.length > 1 ? Integer.parseInt(args[1]) : 64;
    UNet2DModel model = new UNet2DModel(UNetConfig.tutorial());
    try (NDManager manager = NDManager.newBaseManager()) {
      model.initialize(manager);
      UNetWeights.load(model, UNetWeights.torchDefaultInit(model, 0), "init");
      NoiseScheduler scheduler = NoiseScheduler.create(SchedulerConfig.ddpm());
      scheduler.setTimesteps(steps);
      long[] indices = new long[batch];
      for (int i = 0; i < batch; i++) {
        indices[i] = i;
      }
      Sampler.Noise seeded = Sampler.seeded(0, indices);
      List<Long> marks = new ArrayList<>();
      Sampler.Noise timed =
          new Sampler.Noise() {
            @Override
            public NDArray start(NDManager m, Shape shape) {
              NDArray x = seeded.start(m, shape);
              marks.add(System.nanoTime());
              return x;
            }

            @Override
            public NDArray step(NDManager m, Shape shape, int k, long t) {
              NDArray z = seeded.step(m, shape, k, t);
              marks.add(System.nanoTime());
              return z;
            }
          };
      long started = System.nanoTime();
      Sampler.run(model, manager, scheduler, batch, timed, 0);
      double totalS = (System.nanoTime() - started) / 1e9;
      List<String> ms = new ArrayList<>();
      for (int i = 1; i < marks.size(); i++) {
        ms.add(String.format(Locale.ROOT, "%.2f", (marks.get(i) - marks.get(i - 1)) / 1e6));
      }
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
