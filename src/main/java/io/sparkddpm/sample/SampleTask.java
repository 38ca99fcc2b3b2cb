package io.sparkddpm.sample;

import ai.djl.ndarray.NDManager;
import io.sparkddpm.data.PixelRange;
import io.sparkddpm.diffusion.NoiseScheduler;
import io.sparkddpm.diffusion.SchedulerConfig;
import io.sparkddpm.executor.ExecutorModels;
import io.sparkddpm.io.HadoopFiles;
import io.sparkddpm.io.PngImages;
import io.sparkddpm.io.SampleParquet;
import io.sparkddpm.model.UNetConfig;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.DoubleStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;

/**
 * What one Spark task of SampleJob does: sample its batches of image indices on its device, encode
 * each image as PNG, and write its own Parquet part file (named by partition and attempt, so a
 * retried task never collides with a failed attempt's file) in the staging folder.
 */
final class SampleTask implements FlatMapFunction<Iterator<long[]>, SampleTask.Output> {
  private static final long serialVersionUID = 1L;

  /** Images shown in the grid; their PNGs travel back to the driver. */
  static final int GRID_IMAGES = 64;

  /**
   * A task's result: its part file, how many rows it holds, the grid's images it made, and the
   * seconds its reverse process took (model calls and scheduler steps, no I/O), and the ms of each
   * of its denoising steps, batch after batch.
   */
  record Output(
      int partition,
      String file,
      int rows,
      TreeMap<Long, byte[]> gridImages,
      double samplingSeconds,
      double[] stepMs)
      implements Serializable {}

  private final Broadcast<float[]> weights;
  private final String unetJson;
  private final String schedulerJson;
  private final double eta;
  private final SampleConfig cfg;
  private final int[] classes; // image i's class is classes[i % n]; null: unconditional
  private final PixelRange range;
  private final String staging;
  private final Map<String, String> hadoopConf;

  SampleTask(
      Broadcast<float[]> weights,
      UNetConfig unet,
      SchedulerConfig scheduler,
      SampleConfig cfg,
      int[] classes,
      PixelRange range,
      String staging,
      Map<String, String> hadoopConf) {
    this.classes = classes;
    this.weights = weights;
    this.unetJson = unet.toJson();
    this.schedulerJson = scheduler.toJson();
    this.eta = scheduler.eta(); // not part of diffusers' JSON
    this.cfg = cfg;
    this.range = range;
    this.staging = staging;
    this.hadoopConf = hadoopConf;
  }

  @Override
  public Iterator<Output> call(Iterator<long[]> batches) throws IOException {
    TaskContext ctx = TaskContext.get();
    UNetConfig unet = UNetConfig.fromJson(unetJson, "broadcast UNet config");
    SchedulerConfig schedulerConfig =
        SchedulerConfig.fromJson(schedulerJson, "broadcast scheduler config").withEta(eta);
    ExecutorModels.Loaded m = ExecutorModels.get(unet);
    Configuration conf = new Configuration(false);
    hadoopConf.forEach(conf::set);

    List<SampleParquet.SampleRow> rows = new ArrayList<>();
    TreeMap<Long, byte[]> grid = new TreeMap<>();
    String algorithm = schedulerConfig.algorithm().shortName();
    long samplingNanos = 0;
    DoubleStream.Builder stepMs = DoubleStream.builder();
    while (batches.hasNext()) {
      long[] indices = batches.next();
      Sampler.Result r;
      synchronized (ExecutorModels.STEP_LOCK) {
        m.load(weights.value(), weights.id());
        NoiseScheduler scheduler = NoiseScheduler.create(schedulerConfig);
        scheduler.setTimesteps(cfg.steps());
        long started = System.nanoTime();
        try (NDManager batchManager = m.manager().newSubManager()) {
          Guidance guidance =
              classes == null
                  ? null
                  : Guidance.roundRobin(
                      classes, indices, unet.numClassEmbeds() - 1, cfg.guidanceScale());
          r =
              Sampler.sample(
                  m.model(),
                  batchManager,
                  scheduler,
                  cfg.seed(),
                  indices,
                  new Sampler.Options(0, guidance, cfg.precision()));
        }
        samplingNanos += System.nanoTime() - started;
      }
      Arrays.stream(r.stepMs()).forEach(stepMs::add);
      List<byte[]> images = SampleImages.toU8(r.images(), indices.length, range);
      int side = unet.sampleSize();
      for (int i = 0; i < indices.length; i++) {
        byte[] png = PngImages.encodePlanar(unet.outChannels(), side, side, images.get(i));
        String name = String.format("%06d.png", indices[i]);
        if (cfg.pngPerImage()) {
          HadoopFiles.write(conf, new Path(staging, "images/" + name), png);
        }
        rows.add(
            new SampleParquet.SampleRow(
                png,
                name,
                indices[i],
                cfg.seed(),
                algorithm,
                cfg.steps(),
                cfg.model(),
                classes == null ? null : (long) Guidance.classOf(classes, indices[i]),
                classes == null ? null : cfg.guidanceScale()));
        if (indices[i] < GRID_IMAGES) {
          grid.put(indices[i], png);
        }
      }
    }
    String file =
        String.format("part-%05d-attempt-%d.parquet", ctx.partitionId(), ctx.attemptNumber());
    try {
      SampleParquet.write(conf, new Path(staging, file), rows);
    } catch (IOException e) {
      throw new UncheckedIOException("writing " + file + " to " + staging, e);
    }
    return List.of(
            new Output(
                ctx.partitionId(),
                file,
                rows.size(),
                grid,
                samplingNanos / 1e9,
                stepMs.build().toArray()))
        .iterator();
  }
}
