package io.sparkddpm.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.sparkddpm.Reference;
import io.sparkddpm.io.SafeTensors;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Our {@code scheduler_config.json} read by diffusers: the files under {@code
 * reference/scheduler_configs/} are what {@link SchedulerConfig#toJson} writes for three training
 * recipes (checked byte for byte), and {@code scripts/prediction_reference.py} stored what
 * diffusers' {@code DDPMScheduler.from_pretrained} made of them. After a change to the writer, run
 * {@link #main} from the project folder, then the script.
 */
class SchedulerConfigDiffusersTest {

  /** The recipes, by folder name. */
  static Map<String, SchedulerConfig> recipes() {
    Map<String, SchedulerConfig> m = new LinkedHashMap<>();
    m.put(
        "v_scaled_linear",
        SchedulerConfig.ddpm(
            1000, BetaSchedule.SCALED_LINEAR, 0.00085, 0.012, PredictionType.V_PREDICTION));
    m.put(
        "sample_cosine_250",
        SchedulerConfig.ddpm(
            250, BetaSchedule.SQUAREDCOS_CAP_V2, 1e-4, 0.02, PredictionType.SAMPLE));
    m.put(
        "epsilon_linear_257",
        SchedulerConfig.ddpm(257, BetaSchedule.LINEAR, 0.0002, 0.05, PredictionType.EPSILON));
    return m;
  }

  @Test
  void committedConfigsAreWhatToJsonWritesAndReadBack() {
    recipes()
        .forEach(
            (name, c) -> {
              String json = Reference.text("scheduler_configs/" + name + "/scheduler_config.json");
              assertEquals(
                  json,
                  c.toJson(),
                  name + ": run SchedulerConfigDiffusersTest.main and the script");
              assertEquals(c, SchedulerConfig.fromJson(json, name));
            });
  }

  @Test
  void diffusersFromPretrainedReadsOurBetasAndPredictionType() {
    SafeTensors.Contents ref = Reference.tensors("prediction.safetensors");
    recipes()
        .forEach(
            (name, c) -> {
              String p = "pretrained." + name + ".";
              NoiseScheduler s = NoiseScheduler.create(c);
              double rel =
                  Reference.maxRelativeDiff(
                      ref.get(p + "alphas_cumprod").toFloats(), s.alphasCumprod());
              System.out.printf(
                  "%-20s betas bit mismatches %d of %d, alphas_cumprod max-rel %.3g%n",
                  name,
                  Reference.bitMismatches(ref.get(p + "betas").toFloats(), s.betas()),
                  s.betas().length,
                  rel);
              assertArrayEquals(ref.get(p + "betas").toFloats(), s.betas(), 0f, name);
              assertArrayEquals(
                  ref.get(p + "alphas_cumprod").toFloats(), s.alphasCumprod(), 0f, name);
              assertEquals(c.numTrainTimesteps(), Reference.scalar(ref, p + "num_train_timesteps"));
              byte[] type = new byte[ref.get(p + "prediction_type").data().length];
              System.arraycopy(ref.get(p + "prediction_type").data(), 0, type, 0, type.length);
              assertEquals(c.predictionType(), new String(type, StandardCharsets.UTF_8), name);
            });
  }

  /** Writes the recipes' configs under src/test/resources/reference/scheduler_configs/. */
  public static void main(String[] args) throws IOException {
    Path root = Path.of("src/test/resources/reference/scheduler_configs");
    for (Map.Entry<String, SchedulerConfig> e : recipes().entrySet()) {
      Path dir = Files.createDirectories(root.resolve(e.getKey()));
      Files.writeString(dir.resolve("scheduler_config.json"), e.getValue().toJson());
    }
  }
}
