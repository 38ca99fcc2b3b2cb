package io.sparkddpm.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.sparkddpm.data.IdxReader;
import io.sparkddpm.data.PillowResize;
import io.sparkddpm.data.PixelRange;
import io.sparkddpm.diffusion.DdpmScheduler;
import io.sparkddpm.diffusion.SchedulerConfig;
import io.sparkddpm.diffusion.SeededNoise;
import io.sparkddpm.model.Engines;
import io.sparkddpm.model.ParamLayout;
import io.sparkddpm.model.UNet2DModel;
import io.sparkddpm.model.UNetConfig;
import io.sparkddpm.model.UNetWeights;
import io.sparkddpm.train.GradientStep;
import io.sparkddpm.train.StepHooks;
import io.sparkddpm.train.TinyRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Computes the same training step (same weights, same inputs) many times in this JVM and compares
 * every gradient entry and the loss bitwise with the first computation. A step is a pure function
 * of its weights and inputs, so any difference is a defect. Prints figures; asserts nothing.
 *
 * <p>Usage: {@code DeterminismHarness [--model-config FILE|tiny] [--batch 128] [--threads 2]
 * [--reps 50] [--data mnist|random] [--mnist data/mnist] [--step production|java|torch]
 * [--close-early none|inputs] [--gc] [--reload] [--fresh-thread] [--label TEXT]}
 *
 * <ul>
 *   <li>{@code --step production}: {@link GradientStep#backwardForBenchmark}, the code TrainJob
 *       runs. {@code java}: the step body of commit 19f7d24 (inputs made by {@code
 *       create(float[])}, which DJL copies into a Java direct buffer that libtorch reads through
 *       {@code from_blob}; the loss divided by DJL's {@code div(Number)}), over the current model.
 *       {@code torch}: the same, inputs cloned into libtorch-owned memory first.
 *   <li>{@code --close-early inputs}: the input arrays are closed after the forward, while autograd
 *       may still hold them; {@code --gc}: a garbage collection between forward and backward, and
 *       time for the JDK to free the direct buffers it found unreachable (what happens now and then
 *       in a long run, forced).
 *   <li>{@code --reload}: weights are copied into the model before every computation, as an
 *       executor does for each step's broadcast.
 * </ul>
 *
 * <p>GLIBC_TUNABLES is read when the process starts: {@code submit/determinism.sh} runs one JVM per
 * condition.
 */
public final class DeterminismHarness {
  private DeterminismHarness() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> o = parse(args);
    System.setProperty("ai.djl.pytorch.num_threads", o.get("threads"));
    Engines.pytorch();
    UNetConfig config = modelConfig(o.get("model-config"));
    int batch = Integer.parseInt(o.get("batch"));
    int reps = Integer.parseInt(o.get("reps"));
    float[][] inputs = inputs(o.get("data"), Path.of(o.get("mnist")), batch, config.sampleSize());
    UNet2DModel model = new UNet2DModel(config);
    try (NDManager manager = NDManager.newBaseManager()) {
      model.initialize(manager);
      ParamLayout layout = new ParamLayout(model);
      float[] weights = layout.flatten(UNetWeights.torchDefaultInit(model, 7));
      layout.copyInto(model, weights);
      Stats stats = new Stats(layout);
      for (int r = 0; r < reps; r++) {
        if (o.containsKey("reload")) {
          layout.copyInto(model, weights);
        }
        long t0 = System.nanoTime();
        GradientStep.Partial p =
            o.containsKey("fresh-thread")
                ? onNewThread(() -> step(o, model, manager, inputs, batch))
                : step(o, model, manager, inputs, batch);
        stats.add(p, (System.nanoTime() - t0) / 1e9);
      }
      stats.print(o.get("label"), reps);
    }
  }

  /**
   * Runs {@code work} on a thread of its own, as Spark runs each step's task on a thread of the
   * executor's pool: libtorch keeps per-thread state (grad mode, OpenMP team, thread count).
   */
  private static GradientStep.Partial onNewThread(
      java.util.function.Supplier<GradientStep.Partial> work) throws InterruptedException {
    GradientStep.Partial[] out = new GradientStep.Partial[1];
    Thread t = new Thread(() -> out[0] = work.get(), "harness-step");
    t.start();
    t.join();
    return out[0];
  }

  /** The tutorial UNet by default, TinyRun's with "tiny", else a diffusers config.json. */
  private static UNetConfig modelConfig(String file) throws java.io.IOException {
    if (file == null) {
      return UNetConfig.tutorial();
    }
    return file.equals("tiny")
        ? TinyRun.tinyConfig()
        : UNetConfig.fromJson(Files.readString(Path.of(file)), file);
  }

  private static Map<String, String> parse(String[] args) {
    Map<String, String> o = new TreeMap<>();
    o.put("batch", "128");
    o.put("threads", "2");
    o.put("reps", "50");
    o.put("data", "mnist");
    o.put("mnist", "data/mnist");
    o.put("step", "production");
    o.put("close-early", "none");
    o.put("label", "");
    for (int i = 0; i < args.length; i++) {
      String key = args[i].replaceFirst("^--", "");
      if (key.equals("gc") || key.equals("reload") || key.equals("fresh-thread")) {
        o.put(key, "true");
      } else if (i + 1 < args.length && o.containsKey(key) || key.equals("model-config")) {
        o.put(key, args[++i]);
      } else {
        throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    return o;
  }

  /**
   * The step's inputs as TrainJob forms them: {noisy x_t, target eps, t}, (B, 1, S, S) and (B,).
   * MNIST images are the first {@code batch} of the training set; random ones are uniform bytes.
   */
  static float[][] inputs(String data, Path mnist, int batch, int side) throws Exception {
    int pixels = side * side;
    if (side != PillowResize.OUT) {
      throw new IllegalArgumentException("the harness feeds 32x32 images, the model wants " + side);
    }
    SplittableRandom random = new SplittableRandom(3);
    byte[][] images;
    if (data.equals("mnist")) {
      images =
          IdxReader.readImages(
              new org.apache.hadoop.fs.Path(mnist.resolve("train-images-idx3-ubyte").toString()),
              new org.apache.hadoop.conf.Configuration());
    } else if (data.equals("random")) {
      images = new byte[batch][PillowResize.IN * PillowResize.IN];
      for (byte[] img : images) {
        for (int i = 0; i < img.length; i++) {
          img[i] = (byte) random.nextInt(256);
        }
      }
    } else {
      throw new IllegalArgumentException("--data must be mnist or random, got " + data);
    }
    float[] abar = new DdpmScheduler(SchedulerConfig.ddpm()).alphasCumprod();
    float[] noisy = new float[batch * pixels];
    float[] eps = new float[batch * pixels];
    float[] t = new float[batch];
    for (int i = 0; i < batch; i++) {
      int step = random.nextInt(abar.length);
      t[i] = step;
      SeededNoise.fill(SeededNoise.derive(5, 0, i), eps, i * pixels, pixels);
      byte[] resized = PillowResize.resize(images[i]);
      float a = (float) Math.sqrt(abar[step]);
      float b = (float) Math.sqrt(1 - abar[step]);
      for (int p = 0; p < pixels; p++) {
        float x0 = PixelRange.MINUS_ONE_TO_ONE.toModel(resized[p] & 0xFF);
        noisy[i * pixels + p] = a * x0 + b * eps[i * pixels + p];
      }
    }
    return new float[][] {noisy, eps, t};
  }

  private static GradientStep.Partial step(
      Map<String, String> o, UNet2DModel model, NDManager manager, float[][] in, int n) {
    String mode = o.get("step");
    if (mode.equals("production")) {
      Runnable midStep = o.containsKey("gc") ? StepHooks::collect : () -> {};
      return GradientStep.backwardForBenchmark(
          model, manager, Device.cpu(), in[0], in[1], in[2], n, midStep);
    }
    if (!mode.equals("java") && !mode.equals("torch")) {
      throw new IllegalArgumentException("--step must be production, java or torch, got " + mode);
    }
    return variant(
        model,
        manager,
        in,
        n,
        mode.equals("torch"),
        o.get("close-early").equals("inputs"),
        o.containsKey("gc"));
  }

  /** GradientStep.backward of commit 19f7d24, with the harness's switches. */
  private static GradientStep.Partial variant(
      UNet2DModel model,
      NDManager parent,
      float[][] in,
      int n,
      boolean torchOwned,
      boolean closeEarly,
      boolean gc) {
    var params = model.namedParameters().values();
    for (Parameter p : params) {
      if (p.getArray().hasGradient()) {
        JniUtils.zeroGrad((PtNDArray) p.getArray());
      }
    }
    int side = model.config().sampleSize();
    Shape shape = new Shape(n, model.config().inChannels(), side, side);
    double lossSum;
    try (NDManager step = parent.newSubManager(Device.cpu())) {
      NDArray x = own(step.create(in[0], shape), torchOwned); // (n, 1, S, S)
      NDArray target = own(step.create(in[1], shape), torchOwned); // (n, 1, S, S)
      NDArray time = own(step.create(in[2]), torchOwned); // (n,)
      try (GradientCollector gc2 = Engine.getInstance().newGradientCollector()) {
        NDArray pred =
            model.forward(new ParameterStore(step, false), new NDList(x, time), true).head();
        NDArray loss = pred.sub(target).square().sum().div(shape.size() / n);
        lossSum = loss.getFloat();
        if (closeEarly) {
          x.close();
          target.close();
          time.close();
        }
        if (gc) {
          StepHooks.collect();
        }
        gc2.backward(loss);
      }
    }
    int total = 0;
    for (Parameter p : params) {
      total += (int) p.getShape().size();
    }
    float[] grad = new float[total];
    int offset = 0;
    for (Parameter p : params) {
      try (NDArray g = p.getArray().getGradient()) {
        float[] v = g.toFloatArray();
        System.arraycopy(v, 0, grad, offset, v.length);
        offset += v.length;
      }
    }
    return new GradientStep.Partial(grad, lossSum, n, 0);
  }

  /** With {@code torchOwned}, a libtorch clone of {@code a} replaces it (closed). */
  private static NDArray own(NDArray a, boolean torchOwned) {
    if (!torchOwned) {
      return a;
    }
    NDArray copy = a.duplicate();
    a.close();
    return copy;
  }

  /** Differences against the first computation, and timing. */
  private static final class Stats {
    final ParamLayout layout;
    float[] firstGrad;
    double firstLoss;
    int runsDiffering;
    long maxEntries;
    long totalEntries;
    long nonFinite;
    int runsNonFinite;
    int lossDiffering;
    double seconds;
    int count;
    final List<String> examples = new ArrayList<>();

    Stats(ParamLayout layout) {
      this.layout = layout;
    }

    void add(GradientStep.Partial p, double s) {
      seconds += s;
      count++;
      float[] g = p.gradSum();
      long bad = 0;
      for (float v : g) {
        bad += Float.isFinite(v) ? 0 : 1;
      }
      nonFinite += bad;
      runsNonFinite += bad > 0 ? 1 : 0;
      if (firstGrad == null) {
        firstGrad = g;
        firstLoss = p.lossSum();
        return;
      }
      long diff = 0;
      int firstAt = -1;
      int lastAt = -1;
      double maxAbs = 0;
      double scale = 0;
      for (int i = 0; i < g.length; i++) {
        if (Float.floatToRawIntBits(g[i]) != Float.floatToRawIntBits(firstGrad[i])) {
          diff++;
          firstAt = firstAt < 0 ? i : firstAt;
          lastAt = i;
          maxAbs = Math.max(maxAbs, Math.abs((double) g[i] - firstGrad[i]));
        }
        scale = Math.max(scale, Math.abs(firstGrad[i]));
      }
      boolean lossDiff =
          Double.doubleToRawLongBits(p.lossSum()) != Double.doubleToRawLongBits(firstLoss);
      lossDiffering += lossDiff ? 1 : 0;
      if (diff > 0 || lossDiff) {
        runsDiffering++;
        maxEntries = Math.max(maxEntries, diff);
        totalEntries += diff;
        if (examples.size() < 5) {
          examples.add(
              String.format(
                  "    computation %d differs: %d of %d entries, from %s to %s, max |difference|"
                      + " %.3g (largest entry %.3g); loss %s (first %s); NaN in %s",
                  count,
                  diff,
                  g.length,
                  layout.nameAt(Math.max(firstAt, 0)),
                  layout.nameAt(Math.max(lastAt, 0)),
                  maxAbs,
                  scale,
                  p.lossSum(),
                  firstLoss,
                  layout.nonFinite(g, 3)));
        }
      }
    }

    void print(String label, int reps) {
      System.out.printf(
          "%-48s reps %5d  differing runs %3d  entries max %8d total %9d  loss differing %3d"
              + "  NaN/Inf entries %9d in %3d runs  %.3f s/run%n",
          label,
          reps,
          runsDiffering,
          maxEntries,
          totalEntries,
          lossDiffering,
          nonFinite,
          runsNonFinite,
          seconds / reps);
      examples.forEach(System.out::println);
    }
  }
}
