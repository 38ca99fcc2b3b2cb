package io.sparkddpm.eval;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.Locale;
import java.util.SplittableRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains the {@link LeNet} classifier with DJL on the driver: softmax cross-entropy, Adam with a
 * cosine learning-rate decay to zero, shuffled mini-batches (optionally of randomly shifted
 * images); then measures its accuracy on the test images (docs/evaluation.md, "Classifier", has the
 * recipe's measured accuracies). MNIST is small enough (60,000 images of 1 KiB) that the driver
 * holds it, and the network (~0.1 M parameters) trains in about a minute an epoch on two CPU cores,
 * so Spark adds nothing here but the reading.
 */
final class ClassifierTraining {
  private static final Logger LOG = LoggerFactory.getLogger(ClassifierTraining.class);

  /**
   * How the classifier is trained.
   *
   * @param epochs passes over the training images
   * @param batchSize images per Adam step
   * @param lr Adam's learning rate
   * @param seed parameter initialisation, shuffling and shifts
   * @param shift each training image is moved by up to this many pixels along each axis (0: off)
   */
  record Settings(int epochs, int batchSize, double lr, long seed, int shift) {
    Settings {
      if (epochs < 1 || batchSize < 1 || !(lr > 0) || shift < 0) {
        throw new IllegalArgumentException(
            "classifier training needs epochs >= 1, batch size >= 1, lr > 0 and shift >= 0, got "
                + epochs
                + ", "
                + batchSize
                + ", "
                + lr
                + ", "
                + shift);
      }
    }

    /** Adam steps of the whole training. */
    long totalSteps(int images) {
      return (long) epochs * ((images + batchSize - 1) / batchSize);
    }
  }

  private ClassifierTraining() {}

  /**
   * Trains on {@code train}, measures on {@code test}, and returns the weights with the record of
   * {@code data} and the provenance.
   */
  static Classifier train(
      LeNetConfig config,
      LabelledImages train,
      LabelledImages test,
      Settings settings,
      TrainingData data,
      JsonObject provenance) {
    Engine engine = io.sparkddpm.model.Engines.pytorch();
    engine.setRandomSeed((int) settings.seed()); // parameter initialisation
    Device device = engine.defaultDevice();
    LeNet net = new LeNet(config);
    try (Model model = Model.newInstance("lenet", device)) {
      model.setBlock(net);
      DefaultTrainingConfig tc =
          new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
              .optOptimizer(
                  Optimizer.adam()
                      .optLearningRateTracker(
                          cosineDecay(settings.lr(), settings.totalSteps(train.count())))
                      .build())
              .optDevices(new Device[] {device});
      try (Trainer trainer = model.newTrainer(tc)) {
        int side = config.sampleSize();
        trainer.initialize(new Shape(settings.batchSize(), config.inChannels(), side, side));
        JsonArray perEpoch = new JsonArray();
        double accuracy = Double.NaN;
        for (int epoch = 1; epoch <= settings.epochs(); epoch++) {
          long started = System.nanoTime();
          double loss = epoch(trainer, net, train, settings, epoch);
          double seconds = (System.nanoTime() - started) / 1e9;
          // Measured after every epoch (a tenth of an epoch's cost) so a log shows the curve.
          accuracy = accuracy(net, model.getNDManager(), test);
          perEpoch.add(accuracy);
          LOG.info(
              String.format(
                  Locale.ROOT,
                  "classifier epoch %d/%d: mean loss %.4f, test accuracy %.4f, %.1fs",
                  epoch,
                  settings.epochs(),
                  loss,
                  accuracy,
                  seconds));
        }
        JsonObject training = provenance.deepCopy();
        training.add("test_accuracy_per_epoch", perEpoch);
        training.addProperty("epochs", settings.epochs());
        training.addProperty("batch_size", settings.batchSize());
        training.addProperty("lr", settings.lr());
        training.addProperty("lr_schedule", "cosine");
        training.addProperty("shift", settings.shift());
        training.addProperty("optimizer", "adam");
        training.addProperty("seed", settings.seed());
        training.addProperty("train_images", train.count());
        training.addProperty("test_images", test.count());
        return Classifier.of(net, accuracy, data, training);
      }
    }
  }

  /**
   * Loshchilov and Hutter 2017 (SGDR, eq. 5) without restarts: {@code lr * (1 + cos(pi * t / T)) /
   * 2} at Adam's update {@code t} of {@code T}. DJL counts updates from 1, so the last one is a
   * small step, not zero.
   */
  static Tracker cosineDecay(double lr, long totalSteps) {
    return t -> (float) (lr * 0.5 * (1 + Math.cos(Math.PI * Math.min(t, totalSteps) / totalSteps)));
  }

  /** One pass over a seeded permutation of the images; returns the mean batch loss. */
  private static double epoch(
      Trainer trainer, LeNet net, LabelledImages data, Settings settings, int epoch) {
    int n = data.count();
    SplittableRandom random = new SplittableRandom(settings.seed() * 1_000_003L + epoch);
    int[] order = permutation(n, random);
    int side = data.side();
    int bytes = data.imageBytes();
    int span = 2 * settings.shift() + 1;
    double lossSum = 0;
    int batches = 0;
    for (int start = 0; start < n; start += settings.batchSize()) {
      int b = Math.min(settings.batchSize(), n - start);
      float[] x = new float[b * bytes];
      float[] y = new float[b];
      for (int i = 0; i < b; i++) {
        int src = order[start + i];
        // Drawn after the permutation from the same stream: a pure function of (seed, epoch).
        int dx = random.nextInt(span) - settings.shift();
        int dy = random.nextInt(span) - settings.shift();
        shifted(data.pixels(), src * bytes, data.channels(), side, dx, dy, x, i * bytes);
        y[i] = data.labels()[src];
      }
      for (Parameter p : net.stateDict().values()) {
        // DJL's collector does not zero gradients and libtorch accumulates into them.
        if (p.getArray().hasGradient()) {
          JniUtils.zeroGrad((PtNDArray) p.getArray());
        }
      }
      try (NDManager step = trainer.getManager().newSubManager()) {
        NDArray input = step.create(x, new Shape(b, data.channels(), side, side)); // (B, C, S, S)
        NDArray labels = step.create(y, new Shape(b)); // (B,)
        try (GradientCollector gc = trainer.newGradientCollector()) {
          NDArray logits = trainer.forward(new NDList(input)).get(0); // (B, classes)
          NDArray loss = trainer.getLoss().evaluate(new NDList(labels), new NDList(logits));
          lossSum += loss.getFloat();
          gc.backward(loss);
        }
        trainer.step();
      }
      batches++;
    }
    return lossSum / batches;
  }

  /** The fraction of {@code data} whose most probable class is its label. */
  static double accuracy(LeNet net, NDManager manager, LabelledImages data) {
    int correct = 0;
    int batch = 500;
    int classes = net.config().numClasses();
    for (int start = 0; start < data.count(); start += batch) {
      int b = Math.min(batch, data.count() - start);
      byte[] pixels = new byte[b * data.imageBytes()];
      System.arraycopy(data.pixels(), start * data.imageBytes(), pixels, 0, pixels.length);
      float[] probs = Classifier.predict(net, manager, pixels, b).probabilities();
      for (int i = 0; i < b; i++) {
        if (FeatureStats.argmax(probs, i * classes, classes) == data.labels()[start + i]) {
          correct++;
        }
      }
    }
    return correct / (double) data.count();
  }

  /**
   * Writes the (channels, side, side) image at {@code from} moved right by {@code dx} and down by
   * {@code dy}, scaled to [0, 1], into {@code out} at {@code at}; pixels moved in from outside are
   * black (MNIST's background), in every channel.
   */
  static void shifted(
      byte[] pixels, int from, int channels, int side, int dx, int dy, float[] out, int at) {
    for (int ch = 0; ch < channels; ch++) {
      int plane = ch * side * side;
      for (int r = 0; r < side; r++) {
        int sr = r - dy;
        for (int c = 0; c < side; c++) {
          int sc = c - dx;
          boolean inside = sr >= 0 && sr < side && sc >= 0 && sc < side;
          out[at + plane + r * side + c] =
              inside ? (pixels[from + plane + sr * side + sc] & 0xFF) / 255f : 0f;
        }
      }
    }
  }

  private static int[] permutation(int n, SplittableRandom random) {
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    for (int i = n - 1; i > 0; i--) { // Fisher-Yates
      int j = random.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    return order;
  }
}
