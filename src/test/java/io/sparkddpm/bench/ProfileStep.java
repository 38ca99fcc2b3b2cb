package io.sparkddpm.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import io.sparkddpm.model.UNet2DModel;
import io.sparkddpm.model.UNetConfig;
import io.sparkddpm.model.UNetWeights;
import io.sparkddpm.train.GradientStep;
import io.sparkddpm.train.StepInputs;

/**
 * Where a training step, or a sampling step, goes: two warm-up steps, then one step under
 * libtorch's profiler (DJL's {@code JniUtils.startProfile}), whose Chrome trace {@code
 * submit/bench/profile_summary.py} sums by op. The step's wall time is printed beside it, so wall
 * minus libtorch's op time is what JNI, Java and the gradient copy add. A sampling step is the
 * model's forward as {@code Sampler} calls it (grad mode off, one timestep for the batch). The
 * GroupNorm path follows {@code -Dsparkddpm.fused_norm}. Asserts nothing.
 *
 * <p>Usage: {@code ProfileStep <trace.json> [batch=128] [train|sample]}
 */
public final class ProfileStep {
  private ProfileStep() {}

  public static void main(String[] args) throws Exception {
    String trace = args[0];
    int batch = args.length > 1 ? Integer.parseInt(args[1]) : 128;
    boolean sample = args.length > 2 && "sample".equals(args[2]);
    UNet2DModel model = new UNet2DModel(UNetConfig.tutorial());
    try (NDManager manager = NDManager.newBaseManager()) {
      model.initialize(manager);
      UNetWeights.load(model, UNetWeights.torchDefaultInit(model, 0), "init");
      StepInputs in = StepInputs.random(batch, 1);
      float[] x = in.x();
      float[] eps = in.eps();
      float[] t = in.t();
      for (int s = 0; s < 3; s++) {
        boolean profiled = s == 2;
        if (profiled) {
          JniUtils.startProfile(false, false, false);
        }
        long t0 = System.nanoTime();
        if (sample) {
          forward(model, manager, x, batch);
        } else {
          GradientStep.backwardForBenchmark(model, manager, Device.cpu(), x, eps, t, batch);
        }
        double ms = (System.nanoTime() - t0) / 1e6;
        if (profiled) {
          JniUtils.stopProfile(trace);
        }
        System.out.printf("%s step: %.1f ms%n", profiled ? "profiled" : "warm-up", ms);
      }
    }
  }

  /** One sampling step's model call, as {@code Sampler.run} makes it. */
  private static void forward(UNet2DModel model, NDManager manager, float[] x, int batch) {
    boolean gradMode = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try (NDManager step = manager.newSubManager()) {
      NDArray xs = step.create(x, new ai.djl.ndarray.types.Shape(batch, 1, 32, 32));
      NDArray tArr = step.create(new float[] {500});
      model
          .forward(new ParameterStore(step, false), new NDList(xs, tArr), false)
          .head()
          .toFloatArray();
    } finally {
      JniUtils.setGradMode(gradMode);
    }
  }
}
