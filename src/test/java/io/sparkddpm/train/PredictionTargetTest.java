package io.sparkddpm.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.sparkddpm.SparkSessionTestBase;
import io.sparkddpm.checkpoint.Checkpoints;
import io.sparkddpm.diffusion.BetaSchedule;
import io.sparkddpm.diffusion.PredictionType;
import io.sparkddpm.diffusion.SchedulerConfig;
import io.sparkddpm.model.UNet2DModel;
import io.sparkddpm.model.UNetWeights;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The training side of --prediction-type and the noise schedule: the per-image loss weights of
 * GradientStep, and a tiny run whose checkpoint's scheduler_config.json carries the recipe.
 */
class PredictionTargetTest extends SparkSessionTestBase {
  @TempDir Path work;

  @Test
  void weightedLossIsTheWeightedSumOfEachImagesLoss() {
    int batch = 3;
    int pixels = 1024;
    UNet2DModel model = new UNet2DModel(TinyRun.tinyConfig());
    Random r = new Random(5);
    float[] x = new float[batch * pixels];
    float[] target = new float[batch * pixels];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextGaussian();
      target[i] = (float) r.nextGaussian();
    }
    float[] t = {3, 400, 990};
    float[] weights = {2500f, 1f, 0.25f};
    try (NDManager manager = NDManager.newBaseManager()) {
      model.initialize(manager);
      UNetWeights.load(model, UNetWeights.torchDefaultInit(model, 0), "init");
      double weighted = loss(model, manager, x, target, weights, t, batch);
      double unit = loss(model, manager, x, target, new float[] {1, 1, 1}, t, batch);
      double plain = loss(model, manager, x, target, null, t, batch);
      double expected = 0;
      for (int i = 0; i < batch; i++) {
        float[] xi = java.util.Arrays.copyOfRange(x, i * pixels, (i + 1) * pixels);
        float[] yi = java.util.Arrays.copyOfRange(target, i * pixels, (i + 1) * pixels);
        expected += weights[i] * loss(model, manager, xi, yi, null, new float[] {t[i]}, 1);
      }
      System.out.printf(
          "weighted loss %.7g, sum of weighted single-image losses %.7g%n", weighted, expected);
      assertEquals(expected, weighted, 1e-5 * expected);
      assertEquals(plain, unit, 1e-6 * plain);
      assertNotEquals(plain, weighted);
    }
  }

  private static double loss(
      UNet2DModel model,
      NDManager m,
      float[] x,
      float[] target,
      float[] weights,
      float[] t,
      int n) {
    return GradientStep.backward(
            model, m, Device.cpu(), x, target, weights, t, n, null, GradientStep.NOTHING)
        .lossSum();
  }

  @Test
  void checkpointCarriesTheScheduleAndEachPredictionTypeTrainsItsOwnTarget() throws Exception {
    String[] recipe = {
      "--max-steps", "2",
      "--prediction-type", "v_prediction",
      "--beta-schedule", "scaled_linear",
      "--beta-start", "0.00085",
      "--beta-end", "0.012",
      "--num-train-timesteps", "500"
    };
    Trainer.Result v = TrainJob.train(spark, TinyRun.config(work, "v", recipe));
    Checkpoints.Contents ckpt =
        Checkpoints.read(
            new Configuration(), new org.apache.hadoop.fs.Path(work.resolve("v/final").toUri()));
    SchedulerConfig expected =
        SchedulerConfig.ddpm(
            500, BetaSchedule.SCALED_LINEAR, 0.00085, 0.012, PredictionType.V_PREDICTION);
    assertEquals(expected, ckpt.scheduler().orElseThrow(), "what SampleJob reads back");
    JsonObject options =
        JsonParser.parseString(Files.readString(work.resolve("v/final/trainer_state.json")))
            .getAsJsonObject()
            .getAsJsonObject("options");
    assertEquals("v_prediction", options.get("prediction-type").getAsString());
    assertEquals("500", options.get("num-train-timesteps").getAsString());

    Trainer.Result eps = TrainJob.train(spark, TinyRun.config(work, "eps", "--max-steps", "2"));
    Trainer.Result x0 =
        TrainJob.train(
            spark, TinyRun.config(work, "x0", "--max-steps", "2", "--prediction-type", "sample"));
    System.out.printf(
        "first losses: epsilon %.5g, v_prediction %.5g, sample %.5g%n",
        eps.firstLoss(), v.firstLoss(), x0.firstLoss());
    assertTrue(Double.isFinite(v.firstLoss()) && Double.isFinite(x0.firstLoss()));
    assertNotEquals(eps.firstLoss(), v.firstLoss());
    assertNotEquals(eps.firstLoss(), x0.firstLoss());
  }
}
