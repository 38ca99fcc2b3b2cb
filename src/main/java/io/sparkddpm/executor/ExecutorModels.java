package io.sparkddpm.executor;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import io.sparkddpm.model.FlatParameters;
import io.sparkddpm.model.UNet2DModel;
import io.sparkddpm.model.UNetConfig;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.util.ShutdownHookManager;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;

/**
 * The model as it lives on an executor: built once per JVM, config and device, and given new
 * weights from each step (a broadcast in per-step training, a frame from the driver in the
 * persistent stage, the checkpoint in sampling). What DJL's Spark extension would do, done
 * directly.
 */
public final class ExecutorModels {
  /**
   * Serialises gradient computation inside one JVM: DJL's PyTorch gradient collector is a
   * process-wide flag, so two tasks of one executor must not collect at the same time. Configure
   * one task slot per GPU so this lock never idles a device.
   */
  public static final Object STEP_LOCK = new Object();

  private static final Map<String, Loaded> CACHE = new ConcurrentHashMap<>();

  /** {@code local}, {@code local[N]}, {@code local[*]}, with or without {@code ,F} retries. */
  private static final Pattern LOCAL_MASTER = Pattern.compile("local(?:\\[(\\d+|\\*)(?:,\\d+)?])?");

  /**
   * Hadoop shutdown priority of {@link #quiesce}: after the driver's graceful stop (60), before
   * Spark's hooks (40) stop the executor.
   */
  private static final int QUIESCE_PRIORITY = 55;

  /** The longest {@link #quiesce} waits for the computation under way. */
  private static final long QUIESCE_SECONDS = 10;

  static {
    try {
      ShutdownHookManager.get()
          .addShutdownHook(
              ExecutorModels::quiesce, QUIESCE_PRIORITY, QUIESCE_SECONDS + 5, TimeUnit.SECONDS);
    } catch (IllegalStateException e) {
      // the JVM is already shutting down; nothing will compute for long
    }
  }

  private ExecutorModels() {}

  /**
   * At JVM shutdown (an executor's SIGTERM, the end of a local run): waits, bounded, for the
   * computation under way to leave libtorch, then keeps {@link #STEP_LOCK} so that none starts
   * again. A JVM that exits while a task thread is inside libtorch can crash in libtorch's teardown
   * (SIGSEGV, an {@code hs_err} file); a task stopped this way is retried by Spark as a lost task.
   */
  private static void quiesce() {
    CountDownLatch held = new CountDownLatch(1);
    Thread holder =
        new Thread(
            () -> {
              synchronized (STEP_LOCK) {
                held.countDown();
                while (true) {
                  try {
                    Thread.sleep(Long.MAX_VALUE);
                  } catch (InterruptedException e) {
                    // keep holding: the JVM is ending
                  }
                }
              }
            },
            "step-lock-at-shutdown");
    holder.setDaemon(true);
    holder.start();
    try {
      held.await(QUIESCE_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** A built model, the manager owning its parameters, and which weights it holds. */
  public static final class Loaded {
    private final NDManager manager;
    private final UNet2DModel model;
    private final Device device;

    /**
     * Identifies the weights currently copied in (a broadcast id, or an id the driver gives a
     * step's weights); tasks of one step in one JVM share them.
     */
    private long weightsId = Long.MIN_VALUE;

    /** The parameters as one flat tensor: a load is one copy. */
    private final FlatParameters flat;

    private Loaded(UNetConfig config, Device device) {
      this.device = device;
      manager = NDManager.newBaseManager(device);
      model = new UNet2DModel(config);
      model.initialize(manager);
      flat = FlatParameters.bind(model, manager);
    }

    /**
     * Copies {@code flat} (the parameters in state-dict order, as the driver's flat vector) into
     * the model unless the weights {@code id} are already there.
     */
    public void load(float[] flat, long id) {
      if (id != weightsId) {
        this.flat.load(flat);
        weightsId = id;
      }
    }

    /**
     * As {@link #load(float[], long)}, from {@code flat}'s remaining bytes (floats in the buffer's
     * byte order, as the persistent stage's frame holds them).
     */
    public void load(ByteBuffer flat, long id) {
      if (id != weightsId) {
        this.flat.load(flat);
        weightsId = id;
      }
    }

    /** The model. */
    public UNet2DModel model() {
      return model;
    }

    /** The manager owning the parameters. */
    public NDManager manager() {
      return manager;
    }

    /** The device the model is on. */
    public Device device() {
      return device;
    }
  }

  /** The cached model for {@code config} on this task's device, built on first use. */
  public static Loaded get(UNetConfig config) {
    useTaskThreads();
    Device device = taskDevice();
    return CACHE.computeIfAbsent(config.toJson() + "@" + device, k -> new Loaded(config, device));
  }

  /**
   * Gives the calling task thread its libtorch intra-op threads ({@link #taskThreads}, or {@code
   * -Dai.djl.pytorch.num_threads} when set) and returns that number. Set per task, in the task's
   * thread, not through the property alone: DJL reads the property once, when the engine starts,
   * and in local mode the driver starts it first, so the tasks ran with libtorch's default, the
   * machine's physical core count (one thread where two vCPUs are two hyper-threads of one core).
   * Outside a task it changes nothing.
   */
  public static int useTaskThreads() {
    io.sparkddpm.model.Engines.pytorch();
    TaskContext task = TaskContext.get();
    if (task == null) {
      return JniUtils.getNumThreads();
    }
    Integer forced = Integer.getInteger("ai.djl.pytorch.num_threads");
    SparkEnv env = SparkEnv.get();
    int threads =
        forced != null
            ? forced
            : taskThreads(
                env == null ? null : env.conf().get("spark.master", null),
                env == null ? null : env.conf().get("spark.executor.cores", null),
                Math.max(1, task.cpus()),
                Runtime.getRuntime().availableProcessors());
    if (JniUtils.getNumThreads() != threads) {
      JniUtils.setNumThreads(threads);
    }
    return threads;
  }

  /**
   * How many libtorch threads a task computes with: all of its executor's cores. {@link #STEP_LOCK}
   * lets one task of a JVM compute at a time, so the executor's other task slots wait for it rather
   * than compute beside it, and a task limited to its {@code spark.task.cpus} left the rest idle
   * (TrainJob's default two partitions on {@code local[*]} with {@code spark.task.cpus=1} took
   * turns on one core each; SampleJob's single task of 64 images used one of two cores). The
   * executor's cores are the N of a {@code local[N]} master ({@code local[*]}: {@code
   * availableProcessors}), else {@code spark.executor.cores} when set; when neither tells (a
   * cluster executor that takes a worker's cores unannounced), {@code spark.task.cpus}; never more
   * than the JVM's processors (OpenMP threads beyond the cores wait for each other), never fewer
   * than {@code spark.task.cpus}.
   *
   * @param master {@code spark.master}, or null
   * @param executorCores {@code spark.executor.cores}, or null when unset
   * @param taskCpus {@code spark.task.cpus}
   * @param processors this JVM's available processors
   */
  public static int taskThreads(String master, String executorCores, int taskCpus, int processors) {
    int cores = taskCpus;
    Matcher local = LOCAL_MASTER.matcher(master == null ? "" : master.trim());
    if (local.matches()) {
      String n = local.group(1);
      cores = n == null ? 1 : n.equals("*") ? processors : Integer.parseInt(n);
    } else if (executorCores != null && !executorCores.isBlank()) {
      cores = Integer.parseInt(executorCores.trim());
    }
    return Math.max(taskCpus, Math.min(cores, processors));
  }

  /** The GPU Spark assigned to this task, or the CPU when it assigned none. */
  private static Device taskDevice() {
    TaskContext task = TaskContext.get();
    if (task != null) {
      ResourceInformation gpu = task.resources().get("gpu").getOrElse(() -> null);
      if (gpu != null && gpu.addresses().length > 0) {
        return Device.gpu(Integer.parseInt(gpu.addresses()[0]));
      }
    }
    return Device.cpu();
  }
}
