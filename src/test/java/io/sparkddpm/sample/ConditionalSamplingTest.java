package io.sparkddpm.sample;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.sparkddpm.Reference;
import io.sparkddpm.SparkSessionTestBase;
import io.sparkddpm.base.BadInputException;
import io.sparkddpm.cli.UsageException;
import io.sparkddpm.diffusion.NoiseScheduler;
import io.sparkddpm.diffusion.SchedulerConfig;
import io.sparkddpm.io.PngImages;
import io.sparkddpm.model.UNet2DModel;
import io.sparkddpm.model.UNetConfig;
import io.sparkddpm.model.UNetWeights;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Class-conditional sampling with classifier-free guidance, on diffusers' 8x8 reference model with
 * 11 class embeddings (reference/class_cond/unet, the parity test's).
 */
class ConditionalSamplingTest extends SparkSessionTestBase {
  @TempDir Path work;

  private static Path conditionalUNet() throws Exception {
    return Path.of(ConditionalSamplingTest.class.getResource("/reference/class_cond/unet").toURI());
  }

  private static UNet2DModel model(NDManager manager) {
    UNetConfig config =
        UNetConfig.fromJson(Reference.text("class_cond/unet/config.json"), "config.json");
    UNet2DModel model = new UNet2DModel(config);
    model.initialize(manager);
    UNetWeights.load(
        model,
        Reference.tensors("class_cond/unet/diffusion_pytorch_model.safetensors").tensors(),
        "class_cond");
    return model;
  }

  private static NoiseScheduler ddpm(int steps) {
    NoiseScheduler s = NoiseScheduler.create(SchedulerConfig.ddpm());
    s.setTimesteps(steps);
    return s;
  }

  @Test
  void guidanceOneIsPlainConditionalSamplingBitwiseAndTheBatchedFormAgrees() {
    long[] indices = {0, 1, 2, 3, 4};
    int[] classes = {3, 7, 0};
    try (NDManager manager = NDManager.newBaseManager()) {
      UNet2DModel model = model(manager);
      Guidance g = Guidance.roundRobin(classes, indices, 10, 1);
      assertArrayEquals(new long[] {3, 7, 0, 3, 7}, g.labels());
      float[] guided =
          Sampler.sample(
                  model, manager, ddpm(4), 5, indices, Sampler.Options.snapshots(0).withGuidance(g))
              .images();

      // Plain conditional sampling written out: x_T, then eps = model(x, t, labels), step.
      NoiseScheduler s = ddpm(4);
      Sampler.Noise noise = Sampler.seeded(5, indices);
      Shape shape = new Shape(5, 1, 8, 8);
      ParameterStore ps = new ParameterStore(manager, false);
      NDArray x = noise.start(manager, shape);
      long[] ts = s.timesteps();
      for (int k = 0; k < ts.length; k++) {
        NDList in = new NDList(x, manager.create(new float[] {ts[k]}), manager.create(g.labels()));
        NDArray eps = model.forward(ps, in, false).head();
        x =
            s.step(eps, ts[k], x, s.usesNoise(ts[k]) ? noise.step(manager, shape, k, ts[k]) : null)
                .prevSample();
      }
      assertArrayEquals(x.toFloatArray(), guided);

      // The 2B-image form (conditional + null labels in one forward) at w = 1: equal up to float
      // rounding of eps_u + 1 * (eps_c - eps_u).
      NDArray xt = manager.randomNormal(shape);
      NDArray t = manager.create(new float[] {500});
      float[] single = g.predict(model, ps, manager, xt, t).toFloatArray();
      float[] batched = g.predictBatched(model, ps, manager, xt, t).toFloatArray();
      double diff = Reference.maxAbsDiff(single, batched);
      System.out.printf("w = 1: single forward vs 2B batch max-abs %.3e%n", diff);
      assertTrue(diff < 1e-5, "max-abs " + diff);

      // w = 3 is eps_u + 3 (eps_c - eps_u) of two separate forwards.
      Guidance g3 = Guidance.roundRobin(classes, indices, 10, 3);
      float[] w3 = g3.predict(model, ps, manager, xt, t).toFloatArray();
      long[] nulls = new long[5];
      Arrays.fill(nulls, 10);
      float[] c =
          model
              .forward(ps, new NDList(xt, t, manager.create(g.labels())), false)
              .head()
              .toFloatArray();
      float[] u =
          model.forward(ps, new NDList(xt, t, manager.create(nulls)), false).head().toFloatArray();
      float[] expected = new float[c.length];
      for (int i = 0; i < c.length; i++) {
        expected[i] = u[i] + 3 * (c[i] - u[i]);
      }
      double diff3 = Reference.maxAbsDiff(expected, w3);
      System.out.printf("w = 3: batched vs two forwards max-abs %.3e%n", diff3);
      assertTrue(diff3 < 1e-5, "max-abs " + diff3);
      assertTrue(Reference.maxAbsDiff(single, w3) > 1e-3, "guidance changed nothing");
    }
  }

  @Test
  void sampleJobWritesClassAndScalePerRowAndOneGridRowPerClass() throws Exception {
    Path out = work.resolve("cond");
    SampleJob.sample(
        spark,
        SampleConfig.parse(
            "--model", conditionalUNet().toString(),
            "--output", out.toString(),
            "--steps", "3",
            "--num-images", "10",
            "--batch-size", "4",
            "--classes", "3,7",
            "--guidance-scale", "2"));
    List<Row> rows =
        spark.read().parquet(out.resolve("parquet").toString()).orderBy("index").collectAsList();
    assertEquals(10, rows.size());
    for (Row r : rows) {
      long i = r.getLong(r.fieldIndex("index"));
      assertEquals(i % 2 == 0 ? 3L : 7L, r.getLong(r.fieldIndex("class")), "image " + i);
      assertEquals(2.0, r.getDouble(r.fieldIndex("guidance_scale")));
    }
    JsonObject info =
        JsonParser.parseString(Files.readString(out.resolve("sample_info.json"))).getAsJsonObject();
    assertEquals("[3,7]", info.get("classes").toString());
    assertEquals(2.0, info.get("guidance_scale").getAsDouble());
    // Two rows (classes 3 and 7) of five 8x8 images, 2 pixels of padding.
    var grid = PngImages.decode(Files.readAllBytes(out.resolve("grid.png")));
    assertEquals(5 * 10 + 2, grid.width());
    assertEquals(2 * 10 + 2, grid.height());

    // The same images sampled in other batches: image i depends only on (seed, i, its class).
    Path again = work.resolve("again");
    SampleJob.sample(
        spark,
        SampleConfig.parse(
            "--model", conditionalUNet().toString(),
            "--output", again.toString(),
            "--steps", "3",
            "--num-images", "10",
            "--batch-size", "3",
            "--classes", "3,7",
            "--guidance-scale", "2"));
    List<Row> rows2 =
        spark.read().parquet(again.resolve("parquet").toString()).orderBy("index").collectAsList();
    for (int i = 0; i < 10; i++) {
      float[] a = pixels(rows.get(i));
      float[] b = pixels(rows2.get(i));
      assertTrue(Reference.maxAbsDiff(a, b) <= 1, "image " + i + " differs by more than 1/255");
    }
  }

  private static float[] pixels(Row r) {
    byte[] p = PngImages.decode((byte[]) r.getStruct(r.fieldIndex("image")).get(0)).pixels();
    float[] out = new float[p.length];
    for (int i = 0; i < p.length; i++) {
      out[i] = p[i] & 0xFF;
    }
    return out;
  }

  @Test
  void classOptionsAreRefusedWhereTheyCannotApply() throws Exception {
    Path unconditional = Path.of(getClass().getResource("/reference/unet").toURI());
    var refused =
        assertThrows(
            BadInputException.class,
            () ->
                SampleJob.sample(
                    spark,
                    SampleConfig.parse(
                        "--model", unconditional.toString(),
                        "--output", work.resolve("u").toString(),
                        "--class", "3")));
    assertTrue(refused.getMessage().contains("unconditional model"), refused.getMessage());
    var outOfRange =
        assertThrows(
            BadInputException.class,
            () ->
                SampleJob.sample(
                    spark,
                    SampleConfig.parse(
                        "--model", conditionalUNet().toString(),
                        "--output", work.resolve("r").toString(),
                        "--class", "10")));
    assertTrue(
        outOfRange.getMessage().contains("class 10 is outside 0..9"), outOfRange.getMessage());
    assertEquals(
        "--classes: \"x\" is not a class number (0, 1, ...)",
        assertThrows(
                UsageException.class,
                () -> SampleConfig.parse("--model", "m", "--output", "o", "--classes", "1,x"))
            .getMessage());
    assertEquals(
        "give --class or --classes, not both",
        assertThrows(
                UsageException.class,
                () ->
                    SampleConfig.parse(
                        "--model", "m", "--output", "o", "--class", "1", "--classes", "2"))
            .getMessage());
    assertFalse(Files.exists(work.resolve("u")) || Files.exists(work.resolve("r")));
  }
}
