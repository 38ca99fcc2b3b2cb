package io.sparkddpm.bench;

import ai.djl.Device;
import io.sparkddpm.diffusion.NoiseScheduler;
import io.sparkddpm.diffusion.SchedulerConfig;
import io.sparkddpm.executor.ExecutorModels;
import io.sparkddpm.model.UNetConfig;
import io.sparkddpm.model.UNetWeights;
import io.sparkddpm.sample.Sampler;
import io.sparkddpm.train.GradientStep;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * The job tax in one JVM: the same computation of the tutorial UNet (a training step's forward and
 * backward at batch 128, or a few sampling steps at batch 64) run on the main thread, on a fresh
 * Java thread, and inside a Spark task of a {@code local[*]} context with {@code spark.task.cpus} =
 * cores, in rotating order. One JVM, one model, one engine, so what differs between the arms is
 * only the thread the work runs on and what Spark does around it. Prints the median ms of each arm
 * and one JSON line; asserts nothing.
 *
 * <p>Usage: {@code TaskTaxBenchmark train|sample [rounds=6] [batch]}
 */
public final class TaskTaxBenchmark {
  private TaskTaxBenchmark() {}

  private static final int SAMPLE_STEPS = 6;
  private static String kind;
  private static int batch;
  private static float[] weights;
  private static float[] x;
  private static float[] eps;
  private static float[] t;

  /** One unit of work in the calling thread: its computation's ms (the engine's work only). */
  static double unit() {
    ExecutorModels.Loaded m = ExecutorModels.get(UNetConfig.tutorial());
    int threads = ExecutorModels.useTaskThreads();
    if (threads != Integer.getInteger("ai.djl.pytorch.num_threads", threads)) {
      throw new IllegalStateException("libtorch threads " + threads);
    }
    synchronized (ExecutorModels.STEP_LOCK) {
      m.load(weights, 1);
      return kind.equals("train") ? trainMs(m) : sampleStepMs(m);
    }
  }

  /** One training step's forward and backward, wall time. */
  private static double trainMs(ExecutorModels.Loaded m) {
    long started = System.nanoTime();
    GradientStep.backwardForBenchmark(m.model(), m.manager(), Device.cpu(), x, eps, t, batch);
    return (System.nanoTime() - started) / 1e6;
  }

  /** The mean sampling step after the first two, as the bench rows count them. */
  private static double sampleStepMs(ExecutorModels.Loaded m) {
    NoiseScheduler scheduler = NoiseScheduler.create(SchedulerConfig.ddpm());
    scheduler.setTimesteps(SAMPLE_STEPS + 2);
    long[] indices = new long[batch];
    Arrays.setAll(indices, i -> i);
    double[] stepMs;
    try (var sub = m.manager().newSubManager()) {
      stepMs = Sampler.sample(m.model(), sub, scheduler, 0, indices, 0).stepMs();
    }
    return Arrays.stream(stepMs, 2, stepMs.length).average().orElseThrow();
  }

  public static void main(String[] args) throws Exception {
    kind = args.length > 0 ? args[0] : "train";
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 6;
    batch = args.length > 2 ? Integer.parseInt(args[2]) : kind.equals("train") ? 128 : 64;
    int cores = Runtime.getRuntime().availableProcessors();
    if (System.getProperty("ai.djl.pytorch.num_threads") == null) {
      System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(cores));
    }
    Random r = new Random(1);
    x = new float[batch * 1024];
    eps = new float[batch * 1024];
    t = new float[batch];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextGaussian();
      eps[i] = (float) r.nextGaussian();
    }
    for (int i = 0; i < batch; i++) {
      t[i] = r.nextInt(1000);
    }
    var init = new io.sparkddpm.model.UNet2DModel(UNetConfig.tutorial());
    try (var manager = ai.djl.ndarray.NDManager.newBaseManager()) {
      init.initialize(manager);
      weights =
          new io.sparkddpm.model.ParamLayout(init).flatten(UNetWeights.torchDefaultInit(init, 0));
    }
    SparkConf conf =
        new SparkConf()
            .setMaster("local[*]")
            .setAppName("TaskTaxBenchmark")
            .set("spark.task.cpus", Integer.toString(cores))
            .set("spark.ui.enabled", "false");
    Map<String, List<Double>> ms = new TreeMap<>();
    try (JavaSparkContext sc = new JavaSparkContext(conf)) {
      sc.setLogLevel("WARN");
      String[] arms = {"main thread", "fresh thread", "spark task"};
      for (int round = 0; round < rounds + 1; round++) {
        for (int a = 0; a < arms.length; a++) {
          String arm = arms[(round % 2 == 0) ? a : arms.length - 1 - a];
          double v =
              switch (arm) {
                case "main thread" -> unit();
                case "fresh thread" -> {
                  AtomicReference<Double> out = new AtomicReference<>();
                  Thread th = new Thread(() -> out.set(unit()), "fresh-" + round);
                  th.start();
                  th.join();
                  yield out.get();
                }
                default -> sc.parallelize(List.of(0), 1).map(i -> unit()).collect().get(0);
              };
          System.out.printf(Locale.ROOT, "round %d %-12s %8.1f ms%n", round, arm, v);
          if (round > 0) { // round 0 is the warm-up
            ms.computeIfAbsent(arm, k -> new ArrayList<>()).add(v);
          }
        }
      }
    }
    StringBuilder json = new StringBuilder("{\"kind\": \"" + kind + "\", \"batch\": " + batch);
    for (var e : ms.entrySet()) {
      double[] v = e.getValue().stream().mapToDouble(Double::doubleValue).sorted().toArray();
      double median =
          v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
      System.out.printf(
          Locale.ROOT, "%-12s median %8.1f ms over %d%n", e.getKey(), median, v.length);
      json.append(String.format(Locale.ROOT, ", \"%s\": %.1f", e.getKey(), median));
    }
    System.out.println(json.append("}"));
  }
}
