package io.sparkddpm.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.sparkddpm.base.BadInputException;
import io.sparkddpm.checkpoint.Checkpoints;
import io.sparkddpm.cli.Options;
import io.sparkddpm.cli.Range;
import io.sparkddpm.data.IdxReader;
import io.sparkddpm.data.MnistImage;
import io.sparkddpm.data.PixelRange;
import io.sparkddpm.diffusion.DdpmScheduler;
import io.sparkddpm.diffusion.PredictionType;
import io.sparkddpm.diffusion.SchedulerConfig;
import io.sparkddpm.diffusion.SeededNoise;
import io.sparkddpm.model.NoGrad;
import io.sparkddpm.model.Precision;
import io.sparkddpm.model.UNet2DModel;
import io.sparkddpm.model.UNetWeights;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The held-out training objective of a checkpoint: the mean over the first {@code --images} MNIST
 * test images (the {@code t10k} files of {@code --data}) of the loss {@link GradientStep} trains
 * on, each image's t and noise drawn as a training step draws them, for step 0 of run seed {@code
 * --seed} and the image's test-set index. Fixed images, t and noise make two checkpoints (two
 * precisions, two runs) comparable by one number. Forward only, in {@code --precision}; a
 * class-conditional model gets the test labels. Run by {@code submit/heldout-loss.sh}.
 */
public final class HeldOutLoss {
  private HeldOutLoss() {}

  /** The options of {@code submit/heldout-loss.sh}. */
  @Command(
      customSynopsis =
          "submit/heldout-loss.sh --model <checkpoint> [--data data/mnist] [--images 1000] [--seed"
              + " 0] [--precision fp32]")
  public record Config(
      @Option(names = "--model", required = true, description = "checkpoint folder") String model,
      @Option(
              names = "--data",
              defaultValue = "data/mnist",
              description = "folder with the MNIST-layout test files t10k-images-idx3-ubyte[.gz]")
          String data,
      @Option(names = "--images", defaultValue = "1000", description = "first N test images")
          @Range(min = 1)
          int images,
      @Option(names = "--seed", defaultValue = "0", description = "seed of t and the noise")
          long seed,
      @Option(
              names = "--precision",
              defaultValue = "fp32",
              description = "the UNet's forward pass: fp32 or bf16")
          Precision precision,
      @Option(names = "--batch-size", defaultValue = "100", description = "images per forward")
          @Range(min = 1)
          int batchSize,
      java.util.Map<String, String> values) {}

  /** The figure and what it was computed on. */
  public record Result(double meanLoss, int images, long step, String checkpoint) {
    @Override
    public String toString() {
      return String.format(
          Locale.ROOT,
          "held-out loss %.6f (mean over %d test images; checkpoint %s, step %d)",
          meanLoss,
          images,
          checkpoint,
          step);
    }
  }

  static final Options<Config> OPTIONS = Options.of(Config.class);

  /** Prints the held-out loss; exit code 2 on bad input, naming the option or file. */
  public static void main(String[] args) {
    try {
      if (OPTIONS.helpRequested(args)) {
        System.out.print(OPTIONS.usage());
        return;
      }
      System.out.println(compute(OPTIONS.parse(args), new Configuration()));
    } catch (BadInputException | IllegalArgumentException | IOException e) {
      System.err.println("heldout-loss: " + e.getMessage());
      System.exit(2);
    }
  }

  /** The held-out loss of {@code cfg.model()}. */
  public static Result compute(Config cfg, Configuration conf) throws IOException {
    Path dir = new Path(cfg.model());
    Checkpoints.Contents ckpt = Checkpoints.read(conf, dir);
    SchedulerConfig schedule = ckpt.scheduler().orElse(SchedulerConfig.ddpm());
    PredictionType type = PredictionType.parse(schedule.predictionType());
    float[] abar = new DdpmScheduler(schedule).alphasCumprod();
    JsonObject options = trainingOptions(ckpt);
    PixelRange range =
        options.has("pixel-range")
            ? PixelRange.valueOf(options.get("pixel-range").getAsString().toUpperCase(Locale.ROOT))
            : PixelRange.MINUS_ONE_TO_ONE;
    Shard images = testImages(conf, cfg.data(), cfg.images());
    UNet2DModel model = new UNet2DModel(ckpt.unetConfig());
    int side = ckpt.unetConfig().sampleSize();
    if (ckpt.unetConfig().inChannels() * side * side != images.imagePixels()) {
      throw new BadInputException(
          String.format(
              "--model %s is a %d-channel %dx%d model, but the test images of --data %s are"
                  + " 1-channel 32x32",
              cfg.model(), ckpt.unetConfig().inChannels(), side, side, cfg.data()));
    }
    // The manager first: it loads the engine, whose native library the grad-mode calls need (a
    // fresh JVM, as submit/heldout-loss.sh starts, has not loaded it yet).
    try (NDManager manager = NDManager.newBaseManager();
        NoGrad off = NoGrad.enter()) {
      model.initialize(manager);
      UNetWeights.load(model, ckpt.unet(), cfg.model());
      double sum = 0;
      for (int from = 0; from < cfg.images(); from += cfg.batchSize()) {
        int n = Math.min(cfg.batchSize(), cfg.images() - from);
        sum += batchLoss(model, manager, images, from, n, cfg, type, abar, range);
      }
      return new Result(sum / cfg.images(), cfg.images(), stepOf(ckpt), cfg.model());
    }
  }

  /** Summed per-image loss of test images {@code from .. from + n - 1}. */
  private static double batchLoss(
      UNet2DModel model,
      NDManager manager,
      Shard images,
      int from,
      int n,
      Config cfg,
      PredictionType type,
      float[] abar,
      PixelRange range) {
    int pixels = images.imagePixels();
    float[] noisy = new float[n * pixels];
    float[] target = new float[n * pixels];
    float[] eps = new float[pixels];
    float[] x0s = new float[pixels];
    float[] weight = new float[n];
    float[] t = new float[n];
    long[] labels = new long[n];
    for (int i = 0; i < n; i++) {
      int row = from + i;
      // as GradientStep draws them for image `row` in step 0 of a run of seed cfg.seed()
      long sampleSeed = SeededNoise.derive(cfg.seed(), 0, row);
      int timestep =
          new SplittableRandom(SeededNoise.derive(sampleSeed, 0, 0)).nextInt(abar.length);
      t[i] = timestep;
      labels[i] = images.label(row);
      SeededNoise.fill(sampleSeed, eps, 0, pixels);
      float a = (float) Math.sqrt(abar[timestep]);
      float b = (float) Math.sqrt(1 - abar[timestep]);
      images.modelInput(row, cfg.seed(), 0, range, x0s, 0); // as Shard.of stores it: no crop/flip
      for (int p = 0; p < pixels; p++) {
        float x0 = x0s[p];
        noisy[i * pixels + p] = a * x0 + b * eps[p];
        target[i * pixels + p] = type.target(x0, eps[p], a, b);
      }
      weight[i] = type.lossWeight(abar[timestep]);
    }
    int side = model.config().sampleSize();
    Shape shape = new Shape(n, model.config().inChannels(), side, side);
    try (NDManager step = manager.newSubManager(Device.cpu())) {
      NDList inputs = new NDList(step.create(noisy, shape), step.create(t)); // (n, C, S, S), (n,)
      if (model.config().conditional()) {
        inputs.add(step.create(labels)); // (n,)
      }
      NDArray pred =
          model.forward(new ParameterStore(step, false), inputs, false, cfg.precision()).head();
      float[] squares = // (n,): each image's summed squared error
          pred.sub(step.create(target, shape)).square().sum(new int[] {1, 2, 3}).toFloatArray();
      double sum = 0;
      for (int i = 0; i < n; i++) {
        sum += (double) weight[i] * squares[i] / pixels; // the image's (weighted) MSE
      }
      return sum;
    }
  }

  /** The first {@code n} test images of the MNIST folder {@code data}, resized to 32x32. */
  static Shard testImages(Configuration conf, String data, int n) throws IOException {
    Path images = testFile(conf, data, "t10k-images-idx3-ubyte");
    Path labels = testFile(conf, data, "t10k-labels-idx1-ubyte");
    byte[][] pixels = IdxReader.readImages(images, conf, 0, n); // names the file if it is short
    byte[] classes = IdxReader.readLabels(labels, conf, 0, n);
    List<MnistImage> list = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      list.add(new MnistImage(i, classes[i], pixels[i]));
    }
    return Shard.of(list.iterator());
  }

  private static Path testFile(Configuration conf, String data, String name) throws IOException {
    Path plain = new Path(data, name);
    FileSystem fs = plain.getFileSystem(conf);
    for (Path p : List.of(plain, new Path(data, name + ".gz"))) {
      if (fs.exists(p)) {
        return p;
      }
    }
    throw new BadInputException("--data " + data + ": no " + name + " (or .gz) in it");
  }

  private static JsonObject trainingOptions(Checkpoints.Contents ckpt) {
    if (ckpt.trainerState().isEmpty()) {
      return new JsonObject();
    }
    JsonObject state = JsonParser.parseString(ckpt.trainerState().get()).getAsJsonObject();
    return state.has("options") ? state.getAsJsonObject("options") : new JsonObject();
  }

  /** The optimizer step the checkpoint was written at; -1 for one without trainer state. */
  private static long stepOf(Checkpoints.Contents ckpt) {
    if (ckpt.trainerState().isEmpty()) {
      return -1;
    }
    JsonObject state = JsonParser.parseString(ckpt.trainerState().get()).getAsJsonObject();
    return state.has("step") ? state.get("step").getAsLong() : -1;
  }
}
