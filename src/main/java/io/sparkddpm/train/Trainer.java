package io.sparkddpm.train;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.sparkddpm.base.BadInputException;
import io.sparkddpm.checkpoint.Checkpoints;
import io.sparkddpm.diffusion.DdpmScheduler;
import io.sparkddpm.diffusion.SchedulerConfig;
import io.sparkddpm.io.Tensor;
import io.sparkddpm.model.ParamLayout;
import io.sparkddpm.model.UNet2DModel;
import io.sparkddpm.model.UNetConfig;
import io.sparkddpm.model.UNetWeights;
import java.io.IOException;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The driver's training loop. Per step: plan the global batch, get the tasks' partial gradients,
 * all-reduce, clip, Adam, EMA, log, checkpoint. The weights and optimizer state live here as flat
 * float vectors; the executors only ever see a broadcast copy.
 */
public final class Trainer {
  private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);

  private final TrainConfig cfg;
  private final UNetConfig unetConfig;
  private final Configuration conf;
  private final Path output;
  private final Map<String, String> provenance;
  private final ParamLayout layout;
  private final DataFingerprint data;
  private final TrainTracking tracking;
  private final Ema ema; // null: no EMA

  /**
   * What a run produced: {@code finalCheckpoint} is {@code final/}, or when {@code stopped} early
   * the checkpoint of the last completed step (null if the run stopped before its first step).
   */
  public record Result(
      long steps,
      int epochs,
      double firstLoss,
      double lastLoss,
      float[] params,
      Path finalCheckpoint,
      boolean stopped) {}

  /**
   * A trainer writing to {@code cfg.output()}; {@code provenance} (data path, rows, application id,
   * ...) is stored with every checkpoint.
   */
  public Trainer(
      TrainConfig cfg, UNetConfig unetConfig, Configuration conf, Map<String, String> provenance) {
    this(cfg, unetConfig, conf, provenance, null, TrainTracking.off(conf, cfg));
  }

  /**
   * As above; {@code data} (null: none) is stored with every checkpoint, and a resumed run refuses
   * to continue when its data differs from the checkpoint's (unless {@code --allow-data-change});
   * the run also reports to MLflow and TensorBoard through {@code tracking}.
   */
  Trainer(
      TrainConfig cfg,
      UNetConfig unetConfig,
      Configuration conf,
      Map<String, String> provenance,
      DataFingerprint data,
      TrainTracking tracking) {
    this.data = data;
    this.tracking = tracking;
    this.cfg = cfg;
    this.unetConfig = unetConfig;
    this.conf = conf;
    this.output = new Path(cfg.output());
    this.provenance = provenance;
    this.layout = new ParamLayout(new UNet2DModel(unetConfig));
    this.ema = cfg.ema();
  }

  /**
   * Runs to the end (or {@code --max-steps}); {@code beforeStep} lets the caller label Spark jobs.
   */
  public Result train(GradientSource source, Consumer<String> beforeStep) throws IOException {
    return train(source, beforeStep, () -> false);
  }

  /**
   * Runs to the end, or until {@code stopRequested} (asked before each step): then the step under
   * way is finished, not abandoned (its tasks are inside libtorch and cannot be interrupted safely;
   * a finished step is not lost), a checkpoint of it is written, and the result says {@code
   * stopped}. A run resumed from that checkpoint gives the uninterrupted run's weights.
   */
  public Result train(
      GradientSource source, Consumer<String> beforeStep, BooleanSupplier stopRequested)
      throws IOException {
    long n = source.datasetSize();
    // Optimizer steps, not micro-batches, are what the lr schedule, the EMA and checkpoints count
    // (as accelerate does with gradient accumulation).
    int stepBatch = cfg.stepBatch();
    long stepsPerEpoch = (n + stepBatch - 1) / stepBatch;
    long total = cfg.epochs() * stepsPerEpoch;
    if (cfg.maxSteps() > 0) {
      total = Math.min(total, cfg.maxSteps());
    }
    LrSchedule schedule = cfg.lrSchedule(total);
    SchedulerConfig schedulerConfig = cfg.noiseSchedule();
    float[] alphasCumprod = new DdpmScheduler(schedulerConfig).alphasCumprod();

    // A driver killed mid-write leaves a temporary folder, or final/ half replaced: the one is
    // removed (never resumed from), the other completed, before looking for a checkpoint.
    Checkpoints.cleanUp(conf, output);
    boolean resuming = cfg.resume() || (cfg.autoResume() && newestCheckpoint() != null);
    State s = resuming ? resume(total) : fresh();
    Metrics metrics = new Metrics(conf, output, s.step);
    tracking.begin(s.mlflowRunId, s.step);
    LOG.info(
        "training {} images in {} shards: {} steps ({} per epoch), batch {} ({} x {}), from step"
            + " {}",
        n,
        source.shards(),
        total,
        stepsPerEpoch,
        stepBatch,
        cfg.gradientAccumulationSteps(),
        cfg.batchSize(),
        s.step);

    long[] perm = null;
    int permEpoch = -1;
    float[] meanGrad = new float[s.params.length]; // the step's mean gradient, reused
    long started = System.nanoTime();
    double firstLoss = Double.NaN;
    double lastLoss = Double.NaN;
    long checkpointed = s.step; // the newest step a checkpoint of this run's output holds
    for (long step = s.step; step < total; step++) {
      if (stopRequested.getAsBoolean()) {
        return stopped(s, step, checkpointed, stepsPerEpoch, total, metrics, firstLoss, lastLoss);
      }
      int epoch = (int) (step / stepsPerEpoch);
      if (epoch != permEpoch) {
        perm = permutation(n, cfg.seed(), epoch);
        permEpoch = epoch;
      }
      int from = (int) ((step % stepsPerEpoch) * stepBatch);
      long[] batch = Arrays.copyOfRange(perm, from, (int) Math.min(n, (long) from + stepBatch));
      StepPlan plan =
          new StepPlan(
              step,
              epoch,
              batch,
              cfg.seed(),
              alphasCumprod,
              cfg.range(),
              step == cfg.injectFailureAtStep(),
              cfg.batchSize(),
              cfg.predictionType(),
              cfg.condDropout(),
              cfg.precision());
      beforeStep.accept("train step " + (step + 1) + "/" + total + " (epoch " + (epoch + 1) + ")");

      long t0 = System.nanoTime();
      List<GradientStep.Partial> partials = source.compute(plan, s.params);
      long t1 = System.nanoTime();
      AllReduce.Mean mean = AllReduce.mean(partials, meanGrad);
      if (step == cfg.injectNanAtStep()) {
        mean = mean.poisoned(); // testing: what a transient fault of one computation gave
      }
      if (!mean.finite()) {
        // A step is a pure function of (weights, plan), so computing it again tells a real
        // divergence (non-finite again) from a transient fault of one computation. Kept as a
        // defence; metrics.jsonl counts how often it fires.
        LOG.warn(
            "non-finite loss or gradient at step {} (loss {}; in {}); computing the step again",
            step + 1,
            mean.loss(),
            layout.nonFinite(mean.grad(), 5));
        metrics.countRecomputedStep();
        partials = source.compute(plan, s.params);
        t1 = System.nanoTime();
        mean = AllReduce.mean(partials, meanGrad);
      }
      if (!mean.finite()) {
        List<String> bad = layout.nonFinite(mean.grad(), 5);
        throw new IllegalStateException(
            String.format(
                "non-finite loss or gradient at step %d, twice (loss %s; non-finite gradient in %s);"
                    + " stopped, the last good checkpoint in %s is kept",
                step + 1, mean.loss(), bad, output));
      }
      if (cfg.gradClip() > 0) {
        clip(mean.grad(), cfg.gradClip());
      }
      double lr = schedule.at(step);
      s.adam.update(s.params, mean.grad(), lr);
      if (s.ema != null) {
        ema.update(s.ema, s.params, step + 1);
      }
      long t2 = System.nanoTime();
      double seconds = (t2 - t0) / 1e9;
      double elapsed = (t2 - started) / 1e9;
      metrics.record(
          step + 1,
          epoch,
          mean.loss(),
          lr,
          mean.count() / seconds,
          elapsed,
          seconds,
          mean.computeSeconds(),
          mean.taskSeconds(),
          (t2 - t1) / 1e9);
      tracking.step(
          step + 1,
          mean.loss(),
          lr,
          mean.count() / seconds,
          seconds - mean.computeSeconds(),
          metrics.recomputedSteps());
      firstLoss = Double.isNaN(firstLoss) ? mean.loss() : firstLoss;
      lastLoss = mean.loss();

      long done = step + 1;
      boolean last = done == total;
      if (done % cfg.logEvery() == 0 || last) {
        double eta = elapsed / (done - s.startStep) * (total - done);
        LOG.info(
            String.format(
                "step %d/%d epoch %d loss %.5f  %.1f images/s  elapsed %.0fs  ETA %.0fs",
                done, total, epoch + 1, mean.loss(), mean.count() / seconds, elapsed, eta));
        metrics.flush();
        tracking.flush();
      }
      if (!last && cfg.checkpointEvery() > 0 && done % cfg.checkpointEvery() == 0) {
        // A run resumed from this checkpoint keeps metrics.jsonl's lines up to it, even when the
        // driver dies before the next --log-every flush.
        metrics.flush();
        checkpoint(new Path(output, "checkpoint-" + done), s, done, epoch, total);
        Checkpoints.prune(conf, output, cfg.keepCheckpoints());
        checkpointed = done;
        tracking.checkpoint(new Path(output, "checkpoint-" + done));
      }
      if (cfg.sampleEveryEpoch() > 0 && (done % stepsPerEpoch == 0 || last)) {
        byte[] grid =
            EpochSamples.write(
                conf, output, unetConfig, s.ema != null ? s.ema : s.params, cfg, epoch + 1);
        tracking.epochGrid(epoch + 1, done, grid);
      }
    }
    metrics.flush();
    Path fin = new Path(output, "final");
    checkpoint(fin, s, total, (int) ((total - 1) / stepsPerEpoch), total);
    tracking.finish(fin);
    return new Result(
        total - s.startStep,
        (int) ((total + stepsPerEpoch - 1) / stepsPerEpoch),
        firstLoss,
        lastLoss,
        s.params,
        fin,
        false);
  }

  /** Ends a run asked to stop before {@code step}: a checkpoint of the steps done unless one is. */
  private Result stopped(
      State s,
      long step,
      long checkpointed,
      long stepsPerEpoch,
      long total,
      Metrics metrics,
      double firstLoss,
      double lastLoss)
      throws IOException {
    metrics.flush();
    Path dir = step == checkpointed ? newestCheckpoint() : new Path(output, "checkpoint-" + step);
    if (step > checkpointed) {
      checkpoint(dir, s, step, (int) ((step - 1) / stepsPerEpoch), total);
      Checkpoints.prune(conf, output, cfg.keepCheckpoints());
    }
    LOG.warn(
        "stopped on request after step {} ({} steps this run); {} holds it: run again with"
            + " --auto-resume to continue",
        step,
        step - s.startStep,
        dir);
    return new Result(
        step - s.startStep,
        (int) ((step + stepsPerEpoch - 1) / stepsPerEpoch),
        firstLoss,
        lastLoss,
        s.params,
        dir,
        true);
  }

  /** The weights, optimizer and position of a run. */
  private static final class State {
    float[] params;
    float[] ema;
    Adam adam;
    long step;
    long startStep;
    String mlflowRunId; // the MLflow run a resumed run continues, or null
  }

  private State fresh() throws IOException {
    if (!Checkpoints.list(conf, output).isEmpty()
        || output.getFileSystem(conf).exists(new Path(output, "final"))) {
      throw new BadInputException(
          "--output "
              + output
              + " already holds checkpoints; pass --resume to continue that run"
              + " or choose another folder");
    }
    UNet2DModel shapes = new UNet2DModel(unetConfig);
    State s = new State();
    s.params = layout.flatten(UNetWeights.torchDefaultInit(shapes, cfg.seed()));
    s.ema = ema != null ? s.params.clone() : null;
    s.adam = new Adam(cfg.adam(), s.params.length);
    return s;
  }

  private State resume(long total) throws IOException {
    Path dir = newestCheckpoint();
    if (dir == null) {
      throw new BadInputException("--resume: no checkpoint-<step> or final/ in " + output);
    }
    Checkpoints.Contents c;
    try {
      c = Checkpoints.read(conf, dir);
    } catch (IllegalArgumentException e) { // a damaged or hostile checkpoint, e.g. NaN weights
      throw new BadInputException("--resume: " + e.getMessage());
    }
    JsonObject state =
        JsonParser.parseString(
                c.trainerState()
                    .orElseThrow(
                        () ->
                            new IllegalArgumentException(dir + ": trainer_state.json is missing")))
            .getAsJsonObject();
    ResumeCheck.refuseChanges(cfg, unetConfig.sampleSize(), state, dir, total);
    checkData(dir, state);
    if (!c.unetConfig().equals(unetConfig)) {
      throw new BadInputException("--resume: the model config differs from " + dir);
    }
    State s = new State();
    s.params = layout.flatten(c.unet());
    s.ema =
        ema != null
            ? layout.flatten(
                c.ema().orElseThrow(() -> new IllegalArgumentException(dir + " has no unet_ema/")))
            : null;
    var opt =
        c.optimizer()
            .orElseThrow(() -> new IllegalArgumentException(dir + " has no optimizer.safetensors"));
    s.adam =
        new Adam(
            cfg.adam(),
            opt.get("exp_avg").toFloats(),
            opt.get("exp_avg_sq").toFloats(),
            state.get("adam_step").getAsLong());
    s.step = state.get("step").getAsLong();
    s.startStep = s.step;
    s.mlflowRunId = state.has("mlflow_run_id") ? state.get("mlflow_run_id").getAsString() : null;
    LOG.info("resuming from {} at step {}", dir, s.step);
    return s;
  }

  /** Refuses to resume onto training files that differ from those the checkpoint was made on. */
  private void checkData(Path dir, JsonObject state) {
    if (data == null) {
      return;
    }
    if (!state.has("data_files")) {
      LOG.warn("{} records no data fingerprint (an older checkpoint); not compared", dir);
      return;
    }
    DataFingerprint was = DataFingerprint.fromJson(state.getAsJsonObject("data_files"));
    was.differenceTo(data)
        .ifPresent(
            change -> {
              if (!cfg.allowDataChange()) {
                throw new BadInputException(
                    "--resume: the training data changed since "
                        + dir
                        + " was written: "
                        + change
                        + "; a resumed run would silently train on other data. Restore the"
                        + " files, or pass --allow-data-change to continue on these");
              }
              LOG.warn("--allow-data-change: resuming although {}", change);
            });
  }

  /** The checkpoint with the highest step: the newest checkpoint-<step>, or final/ if later. */
  private Path newestCheckpoint() throws IOException {
    List<Path> all = Checkpoints.list(conf, output);
    Path newest = all.isEmpty() ? null : all.get(all.size() - 1);
    Path fin = new Path(output, "final");
    Path finState = new Path(fin, "trainer_state.json");
    if (fin.getFileSystem(conf).exists(finState)) {
      long finalStep =
          JsonParser.parseString(io.sparkddpm.io.HadoopFiles.readText(conf, finState))
              .getAsJsonObject()
              .get("step")
              .getAsLong();
      if (newest == null || finalStep >= Checkpoints.stepOf(newest)) {
        newest = fin;
      }
    }
    return newest;
  }

  private void checkpoint(Path dir, State s, long step, int epoch, long total) throws IOException {
    Map<String, Tensor> optimizer = new LinkedHashMap<>();
    optimizer.put("exp_avg", Tensor.ofFloats(new long[] {s.params.length}, s.adam.m()));
    optimizer.put("exp_avg_sq", Tensor.ofFloats(new long[] {s.params.length}, s.adam.v()));
    JsonObject state = new JsonObject();
    state.addProperty("step", step);
    state.addProperty("epoch", epoch);
    state.addProperty("adam_step", s.adam.step());
    state.addProperty("seed", cfg.seed());
    state.addProperty("num_training_steps", total); // the length the lr schedule follows
    // Kept when this run is not tracked or its server is not reached yet: a later tracked resume
    // still continues the run.
    String runId = tracking.runId() != null ? tracking.runId() : s.mlflowRunId;
    if (runId != null) {
      state.addProperty("mlflow_run_id", runId);
    }
    state.addProperty("time", Instant.now().toString());
    state.add(
        "options",
        new GsonBuilder().create().toJsonTree(cfg.recordedValues(unetConfig.sampleSize())));
    state.add("provenance", new GsonBuilder().create().toJsonTree(provenance));
    if (data != null) {
      state.add("data_files", data.toJson());
    }
    // final/ may already exist (a resumed run that ends again): replaced, never deleted first.
    try {
      Checkpoints.replace(
          conf,
          dir,
          unetConfig,
          layout.unflatten(s.params),
          s.ema == null ? null : layout.unflatten(s.ema),
          cfg.noiseSchedule(),
          new Checkpoints.TrainingState(
              optimizer, new GsonBuilder().setPrettyPrinting().create().toJson(state)));
    } catch (IOException e) { // a full disk, a quota: the older checkpoints are left as they were
      throw new IOException(
          "could not write checkpoint "
              + dir
              + " (the previous checkpoints are kept; --auto-resume continues from the newest"
              + " once there is room): "
              + e.getMessage(),
          e);
    }
    LOG.info("checkpoint written: {}", dir);
  }

  /** The image order of one epoch: a Fisher-Yates shuffle seeded by (seed, epoch). */
  static long[] permutation(long n, long seed, int epoch) {
    long[] p = new long[Math.toIntExact(n)];
    for (int i = 0; i < p.length; i++) {
      p[i] = i;
    }
    SplittableRandom r =
        new SplittableRandom(io.sparkddpm.diffusion.SeededNoise.derive(seed, epoch, -2));
    for (int i = p.length - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      long tmp = p[i];
      p[i] = p[j];
      p[j] = tmp;
    }
    return p;
  }

  /** torch's {@code clip_grad_norm_}: scale by max/(norm + 1e-6) when the L2 norm exceeds max. */
  static void clip(float[] grad, double max) {
    double sq = 0;
    for (float g : grad) {
      sq += (double) g * g;
    }
    double coef = max / (Math.sqrt(sq) + 1e-6);
    if (coef < 1) {
      for (int i = 0; i < grad.length; i++) {
        grad[i] = (float) (grad[i] * coef);
      }
    }
  }
}
