package io.sparkddpm.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.sparkddpm.Reference;
import io.sparkddpm.io.SafeTensors;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The class-conditional UNet ({@code num_class_embeds = 11}) against diffusers 0.42.1's tensors in
 * {@code reference/class_cond*} (written by reference/scripts/class_embedding_reference.py): the
 * forward output for two sets of labels, the loss, and the gradient of every parameter. Tolerances
 * as in {@link UNetParityTest}.
 */
class ClassEmbeddingParityTest {
  private static NDManager manager;
  private static UNet2DModel model;
  private static SafeTensors.Contents io;

  @BeforeAll
  static void load() {
    manager = NDManager.newBaseManager();
    UNetConfig config =
        UNetConfig.fromJson(
            Reference.text("class_cond/unet/config.json"), "class_cond/unet/config.json");
    assertEquals(11, config.numClassEmbeds());
    model = new UNet2DModel(config);
    model.initialize(manager);
    UNetWeights.load(
        model,
        Reference.tensors("class_cond/unet/diffusion_pytorch_model.safetensors").tensors(),
        "class_cond unet");
    io = Reference.tensors("class_cond.safetensors");
  }

  @AfterAll
  static void close() {
    manager.close();
  }

  private static void check(String name, NDArray actual, double tolerance) {
    double diff = Reference.maxAbsDiff(actual, io.get(name));
    System.out.printf("parity %-45s max-abs %.3e (tolerance %.1e)%n", name, diff, tolerance);
    assertTrue(diff <= tolerance, name + ": max-abs " + diff + " > " + tolerance);
  }

  private static NDArray forward(NDManager step, NDArray labels, boolean training) {
    NDArray sample = Reference.nd(step, io.get("sample"));
    NDArray t = Reference.nd(step, io.get("timesteps"));
    return model
        .forward(new ParameterStore(step, false), new NDList(sample, t, labels), training)
        .head();
  }

  @Test
  void forwardWithClassLabelsMatchesDiffusers() {
    try (NDManager step = manager.newSubManager()) {
      NDArray labels = Reference.nd(step, io.get("class_labels"));
      check("output", forward(step, labels, false), 1e-4);
      NDArray rolled = step.create(new long[] {7, 3, 10, 3}); // torch's labels.roll(1)
      check("output_other_labels", forward(step, rolled, false), 1e-4);
      // The labels matter: the two outputs differ by far more than the tolerance.
      assertTrue(
          Reference.maxAbsDiff(
                  io.get("output").toFloats(), io.get("output_other_labels").toFloats())
              > 1e-2);
    }
  }

  @Test
  void lossAndTheGradientOfEveryParameterMatchDiffusers() {
    Map<String, Parameter> params = model.namedParameters();
    // diffusers registers it after time_embedding: its state-dict order.
    assertEquals("class_embedding.weight", params.keySet().toArray()[6]);
    try (NDManager step = manager.newSubManager()) {
      params.values().forEach(p -> p.getArray().setRequiresGradient(true));
      NDArray target = Reference.nd(step, io.get("target"));
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        NDArray out = forward(step, Reference.nd(step, io.get("class_labels")), true);
        NDArray loss = out.sub(target).square().mean();
        float expected = io.get("loss").toFloats()[0];
        double rel = Math.abs(loss.getFloat() - expected) / expected;
        assertTrue(rel <= 1e-5, "loss " + loss.getFloat() + " vs " + expected);
        gc.backward(loss);
      }
      int checked = 0;
      for (Map.Entry<String, Parameter> e : params.entrySet()) {
        try (NDArray grad = e.getValue().getArray().getGradient()) {
          String name = "grad." + e.getKey();
          check(name, grad, 1e-4 * Math.max(Reference.maxMagnitude(io.get(name)), 1e-3));
          checked++;
        }
      }
      long stored = io.tensors().keySet().stream().filter(k -> k.startsWith("grad.")).count();
      assertEquals(stored, checked);
    } finally {
      params.values().forEach(p -> p.getArray().setRequiresGradient(false));
    }
  }

  @Test
  void labelsAreRequiredExactlyWhenTheConfigHasAClassEmbedding() {
    try (NDManager step = manager.newSubManager()) {
      NDArray sample = Reference.nd(step, io.get("sample"));
      NDArray t = Reference.nd(step, io.get("timesteps"));
      ParameterStore ps = new ParameterStore(step, false);
      assertEquals(
          "class labels are required: num_class_embeds is set",
          assertThrows(
                  IllegalArgumentException.class,
                  () -> model.forward(ps, new NDList(sample, t), false))
              .getMessage());
      UNet2DModel plain = new UNet2DModel(model.config().toBuilder().numClassEmbeds(null).build());
      plain.initialize(step);
      NDArray labels = Reference.nd(step, io.get("class_labels"));
      assertEquals(
          "class labels given to a model without num_class_embeds",
          assertThrows(
                  IllegalArgumentException.class,
                  () -> plain.forward(ps, new NDList(sample, t, labels), false))
              .getMessage());
    }
  }
}
