package io.sparkddpm.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * GroupNorm's two paths, the composed DJL ops ({@code -Dsparkddpm.fused_norm=false}) and libtorch's
 * fused group_norm/silu through the scripted modules (the default), give the same output and the
 * same gradients for input, weight and bias, with and without the SiLU: max-abs difference at most
 * 1e-5 (float32 rounding of two orders of summation; values are O(1)).
 */
class GroupNormPathsTest {
  private static final double TOLERANCE = 1e-5;

  @AfterEach
  void clear() {
    System.clearProperty(GroupNorm.PROPERTY);
  }

  @Test
  void fusedAndComposedAgree() {
    for (boolean silu : new boolean[] {false, true}) {
      NDList composed = run(false, silu);
      NDList fused = run(true, silu);
      String[] names = {"output", "grad x", "grad weight", "grad bias"};
      for (int i = 0; i < names.length; i++) {
        double diff = maxAbs(composed.get(i), fused.get(i));
        System.out.printf("group norm (silu %s) %-11s max-abs %.3e%n", silu, names[i], diff);
        assertTrue(diff <= TOLERANCE, names[i] + " (silu " + silu + "): " + diff);
      }
      assertTrue(maxAbs(composed.get(2), composed.get(2).zerosLike()) > 0.1, "real gradients");
    }
  }

  /** Output and gradients (x, weight, bias) of one forward and backward, copied to the heap. */
  private static NDList run(boolean fused, boolean silu) {
    System.setProperty(GroupNorm.PROPERTY, Boolean.toString(fused));
    Random r = new Random(11);
    float[] x = new float[2 * 32 * 6 * 6];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (r.nextGaussian() * 2 + 0.5);
    }
    float[] w = new float[32];
    float[] b = new float[32];
    for (int i = 0; i < 32; i++) {
      w[i] = (float) (1 + 0.3 * r.nextGaussian());
      b[i] = (float) (0.2 * r.nextGaussian());
    }
    float[] up = new float[x.length]; // the upstream gradient, so that every output counts
    for (int i = 0; i < up.length; i++) {
      up[i] = (float) r.nextGaussian();
    }
    GroupNorm norm = new GroupNorm(8, 32, 1e-5, silu);
    NDManager keep = NDManager.newBaseManager();
    try (NDManager m = NDManager.newBaseManager()) {
      norm.initialize(m, DataType.FLOAT32, new Shape(2, 32, 6, 6));
      NDArrays.fill(norm.getParameters().get("weight").getArray(), w, 0);
      NDArrays.fill(norm.getParameters().get("bias").getArray(), b, 0);
      NDArray in = m.create(x, new Shape(2, 32, 6, 6)).duplicate();
      in.setRequiresGradient(true);
      NDArray out;
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        out = norm.forward(new ParameterStore(m, false), new NDList(in), true).singletonOrThrow();
        gc.backward(out.mul(m.create(up, out.getShape()).duplicate()).sum());
      }
      return new NDList(
          keep.create(out.toFloatArray()),
          keep.create(in.getGradient().toFloatArray()),
          keep.create(norm.getParameters().get("weight").getArray().getGradient().toFloatArray()),
          keep.create(norm.getParameters().get("bias").getArray().getGradient().toFloatArray()));
    }
  }

  private static double maxAbs(NDArray a, NDArray b) {
    return a.sub(b).abs().max().getFloat();
  }
}
