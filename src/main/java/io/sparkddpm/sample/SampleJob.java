package io.sparkddpm.sample;

import ai.djl.ndarray.NDManager;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.sparkddpm.base.BadInputException;
import io.sparkddpm.checkpoint.Checkpoints;
import io.sparkddpm.cli.HadoopPaths;
import io.sparkddpm.cli.JobRunner;
import io.sparkddpm.cli.Options;
import io.sparkddpm.data.PixelRange;
import io.sparkddpm.diffusion.NoiseScheduler;
import io.sparkddpm.diffusion.SchedulerConfig;
import io.sparkddpm.io.HadoopFiles;
import io.sparkddpm.io.PngImages;
import io.sparkddpm.io.StagedOutput;
import io.sparkddpm.io.Tensor;
import io.sparkddpm.model.ParamLayout;
import io.sparkddpm.model.UNet2DModel;
import io.sparkddpm.model.UNetConfig;
import io.sparkddpm.model.UNetWeights;
import io.sparkddpm.tracking.JobRun;
import io.sparkddpm.tracking.TrackingOptions;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Batch generation: N images split into batches over Spark tasks, each running the reverse process
 * on its device, written as Parquet (Hugging Face image layout) with a grid and a trajectory PNG.
 * Everything is written to a hidden staging folder that is renamed to {@code --output} only when
 * complete, so a failed run leaves nothing partial behind.
 *
 * <p>Usage: {@code spark-submit --class SampleJob app.jar --model <ckpt> --output <dir> --steps 50}
 */
public final class SampleJob implements JobRunner.Job<SampleConfig> {
  /** Samples shown in the trajectory figure, and the points of the reverse process shown. */
  static final int TRAJECTORY_SAMPLES = 8;

  private static final Logger LOG = LoggerFactory.getLogger(SampleJob.class);

  static final int TRAJECTORY_POINTS = 10;

  /**
   * What a run did: {@code seconds} is the whole job (checkpoint, tasks, figures, commit), {@code
   * samplingSeconds} the reverse process summed over tasks (model and scheduler only).
   */
  public record Result(
      Path output, long images, int partitions, double seconds, double samplingSeconds) {}

  @Override
  public Options<SampleConfig> options() {
    return SampleConfig.OPTIONS;
  }

  @Override
  public String run(SparkSession spark, SampleConfig cfg) throws IOException {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    try (JobRun tracked =
        JobRun.start(
            TrackingOptions.of(cfg.values(), System.getenv()),
            conf,
            "SampleJob",
            cfg.output(),
            JobRun.trainingRunOf(conf, cfg.model()),
            Map.of(
                "spark.application_id", spark.sparkContext().applicationId(),
                "spark.master", spark.sparkContext().master(),
                "checkpoint", cfg.model()),
            cfg.values())) {
      Result r = sample(spark, cfg);
      tracked.metrics(
          Map.of(
              "images",
              (double) r.images(),
              "seconds",
              r.seconds(),
              "sampling_s",
              r.samplingSeconds(),
              "images_per_s_per_task",
              r.images() / r.samplingSeconds()));
      for (String name : List.of("grid.png", "trajectory.png", "sample_info.json")) {
        tracked.artifact(new Path(r.output(), name));
      }
      tracked.succeeded();
      return summary(r);
    }
  }

  private static String summary(Result r) {
    return String.format(
        Locale.ROOT,
        "SampleJob done: %d images in %.1fs over %d tasks -> %s (reverse process: %.1fs of task"
            + " time, %.2f images/s per task)",
        r.images(),
        r.seconds(),
        r.partitions(),
        r.output(),
        r.samplingSeconds(),
        r.images() / r.samplingSeconds());
  }

  /** Generates the images as configured. */
  public static Result sample(SparkSession spark, SampleConfig cfg) throws IOException {
    long started = System.nanoTime();
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Configuration conf = sc.hadoopConfiguration();
    Path out = HadoopPaths.check(conf, "--output", cfg.output());
    HadoopPaths.check(conf, "--model", cfg.model());
    FileSystem fs = out.getFileSystem(conf);
    if (fs.exists(out) && !cfg.overwrite()) {
      throw new BadInputException(
          "--output " + out + " already exists; pass --overwrite to replace it");
    }
    io.sparkddpm.model.Engines.pytorch(); // fail fast, naming the native jar, if it is missing
    Checkpoints.Contents ckpt = readCheckpoint(conf, cfg);
    Map<String, Tensor> weights =
        cfg.ema()
            ? ckpt.ema()
                .orElseThrow(
                    () -> new BadInputException("--ema: " + cfg.model() + " has no unet_ema/"))
            : ckpt.unet();
    SchedulerConfig scheduler = scheduler(ckpt, cfg);
    PixelRange range = pixelRange(ckpt, cfg);
    int[] classes = classes(ckpt.unetConfig(), cfg);
    float[] flat;
    try (NDManager manager = NDManager.newBaseManager()) {
      UNet2DModel model = new UNet2DModel(ckpt.unetConfig());
      model.initialize(manager);
      UNetWeights.load(model, weights, cfg.model()); // refuses a state dict that does not fit
      flat = new ParamLayout(model).flatten(weights);
    } catch (IllegalArgumentException e) {
      throw new BadInputException("--model: " + e.getMessage());
    }

    List<long[]> batches = new ArrayList<>();
    for (long i = 0; i < cfg.numImages(); i += cfg.batchSize()) {
      long end = Math.min(cfg.numImages(), i + cfg.batchSize());
      long[] b = new long[(int) (end - i)];
      for (int k = 0; k < b.length; k++) {
        b[k] = i + k;
      }
      batches.add(b);
    }
    int partitions =
        Math.min(batches.size(), cfg.partitions() > 0 ? cfg.partitions() : sc.defaultParallelism());
    Broadcast<float[]> bc = sc.broadcast(flat);
    double sampling;
    try (StagedOutput staged = StagedOutput.directory(conf, out)) {
      Path staging = staged.path();
      Map<String, String> hadoop = new HashMap<>();
      conf.forEach(e -> hadoop.put(e.getKey(), e.getValue()));
      sc.setJobDescription(
          "sample "
              + cfg.numImages()
              + " images, "
              + cfg.steps()
              + " "
              + scheduler.algorithm().shortName()
              + " ("
              + scheduler.timestepSpacing()
              + ")"
              + " steps");
      List<SampleTask.Output> outputs =
          sc.parallelize(batches, partitions)
              .mapPartitions(
                  new SampleTask(
                      bc,
                      ckpt.unetConfig(),
                      scheduler,
                      cfg,
                      classes,
                      range,
                      staging.toString(),
                      hadoop))
              .collect();
      sampling = outputs.stream().mapToDouble(SampleTask.Output::samplingSeconds).sum();
      logStepTimes(outputs);
      commitParts(fs, staging, outputs);
      writeFigures(conf, staging, outputs, ckpt, flat, scheduler, range, cfg, classes);
      HadoopFiles.writeText(
          conf,
          new Path(staging, "sample_info.json"),
          provenance(sc, cfg, scheduler, range, classes));
      staged.replace(); // --overwrite: the old set stays until then
    } finally {
      bc.destroy();
    }
    return new Result(
        out, cfg.numImages(), partitions, (System.nanoTime() - started) / 1e9, sampling);
  }

  /**
   * Logs the first partition's per-step times, one line submit/bench.sh reads (it drops the warm-up
   * steps itself, as for the other rows).
   */
  private static void logStepTimes(List<SampleTask.Output> outputs) {
    outputs.stream()
        .min(Comparator.comparingInt(SampleTask.Output::partition))
        .ifPresent(
            o ->
                LOG.info(
                    "step ms of partition {}: {}",
                    o.partition(),
                    Arrays.stream(o.stepMs())
                        .mapToObj(ms -> String.format(Locale.ROOT, "%.1f", ms))
                        .collect(Collectors.joining(", ", "[", "]"))));
  }

  private static Checkpoints.Contents readCheckpoint(Configuration conf, SampleConfig cfg) {
    try {
      return Checkpoints.read(conf, new Path(cfg.model()));
    } catch (IOException | IllegalArgumentException e) {
      throw new BadInputException("--model: " + e.getMessage());
    }
  }

  /** The checkpoint's scheduler (DDPM defaults without one), with the command line's choices. */
  static SchedulerConfig scheduler(Checkpoints.Contents ckpt, SampleConfig cfg) {
    SchedulerConfig s = ckpt.scheduler().orElse(SchedulerConfig.ddpm());
    if (cfg.scheduler() != null) {
      s = s.withAlgorithm(cfg.scheduler());
    }
    if (cfg.timestepSpacing() != null) {
      s = s.withTimestepSpacing(cfg.timestepSpacing().diffusersName());
    }
    if (cfg.steps() > s.numTrainTimesteps()) {
      throw new BadInputException(
          "--steps "
              + cfg.steps()
              + " exceeds the scheduler's num_train_timesteps "
              + s.numTrainTimesteps());
    }
    s = s.withEta(cfg.eta());
    try {
      NoiseScheduler.create(s).setTimesteps(cfg.steps()); // e.g. repeated timesteps, on the driver
    } catch (IllegalArgumentException e) {
      throw new BadInputException("--steps / --scheduler / --timestep-spacing: " + e.getMessage());
    }
    return s;
  }

  /**
   * The classes image i cycles through ({@code classes[i % n]}) for a class-conditional model: the
   * options', else all the model's classes; null for an unconditional model, which refuses {@code
   * --class}, {@code --classes} and {@code --guidance-scale}.
   */
  static int[] classes(UNetConfig unet, SampleConfig cfg) {
    if (!unet.conditional()) {
      if (cfg.asksForConditioning()) {
        throw new BadInputException(
            "--class / --classes / --guidance-scale: "
                + cfg.model()
                + " is an unconditional model (its UNet has no num_class_embeds)");
      }
      return null;
    }
    int nullClass = unet.numClassEmbeds() - 1;
    int[] asked = cfg.classes();
    if (asked.length == 0) {
      return java.util.stream.IntStream.range(0, nullClass).toArray();
    }
    for (int c : asked) {
      if (c >= nullClass) {
        throw new BadInputException(
            String.format(
                "--class / --classes: class %d is outside 0..%d of %s (num_class_embeds %d, the"
                    + " last the null class)",
                c, nullClass - 1, cfg.model(), unet.numClassEmbeds()));
      }
    }
    return asked;
  }

  /** The option, else what the checkpoint was trained with, else [-1, 1]. */
  static PixelRange pixelRange(Checkpoints.Contents ckpt, SampleConfig cfg) {
    if (cfg.pixelRange() != null) {
      return cfg.pixelRange();
    }
    String name = "";
    if (ckpt.trainerState().isPresent()) {
      JsonObject options =
          JsonParser.parseString(ckpt.trainerState().get())
              .getAsJsonObject()
              .getAsJsonObject("options");
      if (options != null && options.has("pixel-range")) {
        name = options.get("pixel-range").getAsString();
      }
    }
    return name.isEmpty()
        ? PixelRange.MINUS_ONE_TO_ONE
        : PixelRange.valueOf(name.toUpperCase(Locale.ROOT));
  }

  /** Keeps each partition's successful part file under its final name; drops failed attempts'. */
  private static void commitParts(FileSystem fs, Path staging, List<SampleTask.Output> outputs)
      throws IOException {
    Path dir = new Path(staging, "parquet");
    fs.mkdirs(dir);
    for (SampleTask.Output o : outputs) {
      Path part = new Path(dir, String.format("part-%05d.parquet", o.partition()));
      if (!fs.rename(new Path(staging, o.file()), part)) {
        throw new IOException("could not move " + o.file() + " into " + dir);
      }
    }
    for (var status : fs.listStatus(staging)) {
      if (status.getPath().getName().startsWith("part-")) {
        fs.delete(status.getPath(), false); // a failed attempt's leftover
      }
    }
  }

  private static void writeFigures(
      Configuration conf,
      Path staging,
      List<SampleTask.Output> outputs,
      Checkpoints.Contents ckpt,
      float[] flat,
      SchedulerConfig scheduler,
      PixelRange range,
      SampleConfig cfg,
      int[] classes)
      throws IOException {
    TreeMap<Long, byte[]> gridPngs = new TreeMap<>();
    outputs.forEach(o -> gridPngs.putAll(o.gridImages()));
    int side = ckpt.unetConfig().sampleSize();
    int channels = ckpt.unetConfig().outChannels();
    byte[] grid =
        classes == null
            ? squareGrid(gridPngs, channels, side)
            : ClassGrid.png(gridPngs, classes, channels, side);
    HadoopFiles.write(conf, new Path(staging, "grid.png"), grid);

    // The trajectory re-runs the first few images on the driver, keeping x_t along the way.
    int n = (int) Math.min(TRAJECTORY_SAMPLES, cfg.numImages());
    long[] indices = new long[n];
    for (int i = 0; i < n; i++) {
      indices[i] = i;
    }
    try (NDManager manager = NDManager.newBaseManager()) {
      UNet2DModel model = new UNet2DModel(ckpt.unetConfig());
      model.initialize(manager);
      new ParamLayout(model).copyInto(model, flat);
      NoiseScheduler s = NoiseScheduler.create(scheduler);
      s.setTimesteps(cfg.steps());
      int points = Math.min(TRAJECTORY_POINTS, cfg.steps());
      Guidance guidance =
          classes == null
              ? null
              : Guidance.roundRobin(
                  classes, indices, ckpt.unetConfig().numClassEmbeds() - 1, cfg.guidanceScale());
      Sampler.Result r =
          Sampler.sample(
              model,
              manager,
              s,
              cfg.seed(),
              indices,
              new Sampler.Options(points, guidance, cfg.precision()));
      List<List<byte[]>> rows = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        rows.add(new ArrayList<>());
      }
      for (float[] snapshot : r.snapshots()) {
        List<byte[]> images = SampleImages.toU8(snapshot, n, range);
        for (int i = 0; i < n; i++) {
          rows.get(i).add(images.get(i));
        }
      }
      HadoopFiles.write(
          conf, new Path(staging, "trajectory.png"), PngImages.trajectory(rows, channels, side, 2));
    }
  }

  private static byte[] squareGrid(TreeMap<Long, byte[]> pngs, int channels, int side) {
    List<byte[]> pixels = new ArrayList<>();
    for (byte[] png : pngs.values()) {
      pixels.add(PngImages.decodePlanar(png, channels));
    }
    int columns = (int) Math.ceil(Math.sqrt(pixels.size()));
    return PngImages.grid(pixels, channels, side, columns, 2);
  }

  private static String provenance(
      JavaSparkContext sc,
      SampleConfig cfg,
      SchedulerConfig scheduler,
      PixelRange range,
      int[] classes) {
    JsonObject o = new JsonObject();
    if (classes != null) {
      o.add("classes", new GsonBuilder().create().toJsonTree(classes));
      o.addProperty("guidance_scale", cfg.guidanceScale());
    }
    o.add("options", new GsonBuilder().create().toJsonTree(cfg.values()));
    o.addProperty("checkpoint", cfg.model());
    o.add("scheduler", JsonParser.parseString(scheduler.toJson()));
    o.addProperty("eta", scheduler.eta());
    o.addProperty("pixel_range", range.name().toLowerCase(Locale.ROOT));
    o.addProperty("application_id", sc.sc().applicationId());
    o.addProperty("master", sc.master());
    o.addProperty("time", Instant.now().toString());
    return new GsonBuilder().setPrettyPrinting().create().toJson(o);
  }
}
