package io.sparkddpm.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import io.sparkddpm.Reference;
import io.sparkddpm.io.SafeTensors;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Java UNet against diffusers' tensors in {@code reference/unet_io.safetensors}. Tolerances are
 * the reference README's: max-abs 1e-4 for activations (float64 differs from float32 by 1.9e-6),
 * 1e-5 for the sinusoidal embedding, relative 1e-5 for the loss and max-abs 1e-4 * max|ref| for
 * gradients.
 */
class UNetParityTest {
  private static NDManager manager;
  private static UNet2DModel model;
  private static SafeTensors.Contents io;

  @BeforeAll
  static void load() {
    manager = NDManager.newBaseManager();
    model = Reference.model(manager);
    io = Reference.tensors("unet_io.safetensors");
  }

  @AfterAll
  static void close() {
    manager.close();
  }

  private static void check(String name, NDArray actual, double tolerance) {
    double diff = Reference.maxAbsDiff(actual, io.get(name));
    System.out.printf("parity %-40s max-abs %.3e (tolerance %.0e)%n", name, diff, tolerance);
    assertTrue(diff <= tolerance, name + ": max-abs " + diff + " > " + tolerance);
  }

  @Test
  void forwardMatchesDiffusersOutputAndEveryIntermediate() {
    try (NDManager step = manager.newSubManager()) {
      NDArray sample = Reference.nd(step, io.get("sample"));
      NDArray t = Reference.nd(step, io.get("timesteps"));
      Map<String, NDArray> trace = new HashMap<>();
      NDArray out =
          model.run(new ParameterStore(step, false), new NDList(sample, t), false, trace).head();
      check("output", out, 1e-4);
      check("time_proj", trace.get("time_proj"), 1e-5);
      for (String name :
          List.of(
              "time_emb",
              "conv_in_out",
              "down0_out",
              "down1_out",
              "down2_out",
              "mid_out",
              "up0_out",
              "up1_out",
              "up2_out")) {
        check(name, trace.get(name), 1e-4);
      }
    }
  }

  @Test
  void scalarTimestepIsBroadcastToTheBatch() {
    try (NDManager step = manager.newSubManager()) {
      NDArray sample = Reference.nd(step, io.get("sample"));
      NDArray scalar = step.create(new long[] {500});
      NDArray out =
          model.forward(new ParameterStore(step, false), new NDList(sample, scalar), false).head();
      check("output_scalar_t", out, 1e-4);
      NDArray full = step.create(new long[] {500, 500, 500, 500});
      NDArray outFull =
          model.forward(new ParameterStore(step, false), new NDList(sample, full), false).head();
      assertArrayEquals(out.toFloatArray(), outFull.toFloatArray());
    }
  }

  @Test
  void singleModulesMatchTheirUnitCases() {
    try (NDManager step = manager.newSubManager()) {
      ParameterStore ps = new ParameterStore(step, false);
      unit(step, ps, "resnet", "down_blocks.0.resnets.0", true);
      unit(step, ps, "resnet_shortcut", "up_blocks.2.resnets.0", true);
      unit(step, ps, "attn", "down_blocks.1.attentions.0", false);
      unit(step, ps, "downsample", "down_blocks.0.downsamplers.0", false);
      unit(step, ps, "upsample", "up_blocks.0.upsamplers.0", false);
    }
  }

  private void unit(NDManager step, ParameterStore ps, String name, String path, boolean temb) {
    NDList in = new NDList(Reference.nd(step, io.get("unit." + name + ".in")));
    if (temb) {
      in.add(Reference.nd(step, io.get("unit." + name + ".temb")));
    }
    NDArray out = child(model, path).forward(ps, in, false).head();
    check("unit." + name + ".out", out, 1e-4);
  }

  /** The block at a diffusers module path such as {@code down_blocks.0.resnets.0}. */
  static Block child(Block root, String path) {
    Block block = root;
    for (String part : path.split("\\.")) {
      Block next = null;
      for (Pair<String, Block> c : block.getChildren()) {
        if (c.getKey().substring(2).equals(part)) {
          next = c.getValue();
        }
      }
      if (next == null) {
        throw new IllegalArgumentException("no child " + part + " in " + path);
      }
      block = next;
    }
    return block;
  }

  @Test
  void lossAndGradientsMatchDiffusers() {
    Map<String, Parameter> params = model.namedParameters();
    try (NDManager step = manager.newSubManager()) {
      for (Parameter p : params.values()) {
        p.getArray().setRequiresGradient(true);
      }
      NDArray sample = Reference.nd(step, io.get("sample"));
      NDArray t = Reference.nd(step, io.get("timesteps"));
      NDArray target = Reference.nd(step, io.get("target"));
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        NDArray out =
            model.forward(new ParameterStore(step, false), new NDList(sample, t), true).head();
        NDArray loss = out.sub(target).square().mean();
        float expected = io.get("loss").toFloats()[0];
        double rel = Math.abs(loss.getFloat() - expected) / expected;
        System.out.printf("parity loss relative %.3e (tolerance 1e-5)%n", rel);
        assertTrue(rel <= 1e-5, "loss " + loss.getFloat() + " vs " + expected);
        gc.backward(loss);
      }
      List<String> names = new ArrayList<>();
      for (String key : io.tensors().keySet()) {
        if (key.startsWith("grad.")) {
          names.add(key.substring(5));
        }
      }
      assertEquals(4, names.size());
      for (String name : names) {
        try (NDArray grad = params.get(name).getArray().getGradient()) {
          double tol = 1e-4 * Reference.maxMagnitude(io.get("grad." + name));
          check("grad." + name, grad, tol);
        }
      }
    } finally {
      for (Parameter p : params.values()) {
        p.getArray().setRequiresGradient(false);
      }
    }
  }
}
