package io.sparkddpm.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.sparkddpm.cli.UsageException;
import io.sparkddpm.diffusion.DpmSolverMultistepScheduler;
import io.sparkddpm.diffusion.NoiseScheduler;
import io.sparkddpm.diffusion.SchedulerConfig;
import io.sparkddpm.diffusion.SeededNoise;
import io.sparkddpm.io.PngImages;
import io.sparkddpm.model.ParamLayout;
import io.sparkddpm.model.UNet2DModel;
import io.sparkddpm.model.UNetConfig;
import io.sparkddpm.sample.SampleImages;
import io.sparkddpm.sample.Sampler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The epoch grids follow --sample-scheduler and --sample-timestep-spacing. */
class EpochSamplesTest {
  @TempDir Path work;

  private TrainConfig config(String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--data",
                "unused",
                "--output",
                "unused",
                "--sample-every-epoch",
                "4",
                "--sample-steps",
                "3"));
    args.addAll(Arrays.asList(extra));
    return TrainConfig.parse(args.toArray(String[]::new));
  }

  @Test
  void gridIsSampledWithTheConfiguredSchedulerAndSpacing() throws Exception {
    UNetConfig unet = TinyRun.tinyConfig();
    TrainConfig dpm =
        config("--sample-scheduler", "dpmsolver++", "--sample-timestep-spacing", "trailing");
    SchedulerConfig sampler = dpm.epochSampler(SchedulerConfig.ddpm());
    assertTrue(NoiseScheduler.create(sampler) instanceof DpmSolverMultistepScheduler);
    float[] params;
    byte[] expected;
    try (NDManager m = NDManager.newBaseManager()) {
      UNet2DModel model = new UNet2DModel(unet);
      model.initialize(m);
      ParamLayout layout = new ParamLayout(model);
      params = SeededNoise.standardNormal(5, layout.size());
      for (int i = 0; i < params.length; i++) {
        params[i] *= 0.02f;
      }
      layout.copyInto(model, params);
      NoiseScheduler s = NoiseScheduler.create(sampler);
      s.setTimesteps(3);
      Sampler.Result r = Sampler.sample(model, m, s, dpm.seed(), new long[] {0, 1, 2, 3}, 0);
      expected = PngImages.grid(SampleImages.toU8(r.images(), 4, dpm.range()), 32, 2, 2);
    }
    Configuration conf = new Configuration();
    org.apache.hadoop.fs.Path out = new org.apache.hadoop.fs.Path(work.toUri());
    EpochSamples.write(conf, out, unet, params, dpm, 1);
    EpochSamples.write(conf, out, unet, params, config(), 2); // the default: DDPM, leading
    byte[] grid = Files.readAllBytes(work.resolve("samples/epoch-001.png"));
    assertArrayEquals(expected, grid);
    assertFalse(
        Arrays.equals(grid, Files.readAllBytes(work.resolve("samples/epoch-002.png"))),
        "DDPM leading gives another grid");
  }

  @Test
  void unknownSamplerOrUnusableStepsAreRefusedBeforeTraining() {
    var e = assertThrows(UsageException.class, () -> config("--sample-scheduler", "euler"));
    assertTrue(e.getMessage().contains("ddpm, ddim or dpmsolver++"), e.getMessage());
    e = assertThrows(UsageException.class, () -> config("--sample-timestep-spacing", "uniform"));
    assertEquals(
        "--sample-timestep-spacing: expected leading, trailing or linspace, got \"uniform\"",
        e.getMessage());
    e =
        assertThrows(
            UsageException.class,
            () -> config("--sample-scheduler", "dpmsolver++", "--sample-steps", "1000"));
    assertTrue(e.getMessage().contains("repeat timestep"), e.getMessage());
  }
}
