package io.sparkddpm.eval;

import com.google.gson.JsonObject;
import java.util.Locale;
import org.apache.spark.sql.SparkSession;

/**
 * Measures EvaluateJob's classifier recipe on one IDX data set without scoring samples: the command
 * behind the figures of docs/evaluation.md ("Classifier").
 *
 * <p>Usage: {@code ClassifierRecipe <IDX folder> <seed> [epochs=8] [shift=0] [limit=0] [batch=128]
 * [lr=1e-3]}; prints the test accuracy after each epoch and the total time.
 */
public final class ClassifierRecipe {
  private static final int PIXELS = 32 * 32;
  private static final ImageSets.Shape SHAPE = new ImageSets.Shape(1, 32);

  private ClassifierRecipe() {}

  /** Uniform pixels 0..255 as EvaluateJob's ceiling draws them (ImageSets.noise). */
  private static byte[] noise(int count, long seed) {
    byte[] pixels = new byte[count * PIXELS];
    for (int i = 0; i < count; i++) {
      java.util.SplittableRandom r = new java.util.SplittableRandom(seed * 0x9E3779B97F4A7C15L + i);
      for (int k = 0; k < PIXELS; k++) {
        pixels[i * PIXELS + k] = (byte) r.nextInt(256);
      }
    }
    return pixels;
  }

  /** The mean max-softmax probability over {@code n} images, as EvaluateJob reports it. */
  private static double meanConfidence(Classifier c, byte[] pixels, int n) {
    try (ai.djl.ndarray.NDManager manager = ai.djl.ndarray.NDManager.newBaseManager()) {
      LeNet net = c.build(manager);
      int classes = net.config().numClasses();
      double sum = 0;
      for (int start = 0; start < n; start += 500) {
        int b = Math.min(500, n - start);
        byte[] batch = new byte[b * PIXELS];
        System.arraycopy(pixels, start * PIXELS, batch, 0, batch.length);
        float[] probs = Classifier.predict(net, manager, batch, b).probabilities();
        for (int i = 0; i < b; i++) {
          sum += probs[i * classes + FeatureStats.argmax(probs, i * classes, classes)];
        }
      }
      return sum / n;
    }
  }

  /** Trains once and prints the result. */
  public static void main(String[] args) throws java.io.IOException {
    String data = args[0];
    long seed = Long.parseLong(args[1]);
    int epochs = args.length > 2 ? Integer.parseInt(args[2]) : 8;
    int shift = args.length > 3 ? Integer.parseInt(args[3]) : 0;
    long limit = args.length > 4 ? Long.parseLong(args[4]) : 0;
    int batch = args.length > 5 ? Integer.parseInt(args[5]) : 128;
    double lr = args.length > 6 ? Double.parseDouble(args[6]) : 1e-3;
    SparkSession spark =
        SparkSession.builder()
            .master("local[1]")
            .appName("classifier-recipe")
            .config("spark.ui.enabled", "false")
            .getOrCreate();
    try {
      LabelledSet set =
          LabelledSet.locate(
              spark.sparkContext().hadoopConfiguration(),
              data,
              io.sparkddpm.data.ImageSource.Columns.DEFAULT);
      LabelledImages train = LabelledImages.collect(set.part(spark, false, SHAPE, 1, limit), 1, 32);
      LabelledImages test = LabelledImages.collect(set.part(spark, true, SHAPE, 1, 0), 1, 32);
      long started = System.nanoTime();
      Classifier c =
          ClassifierTraining.train(
              LeNetConfig.defaults(),
              train,
              test,
              new ClassifierTraining.Settings(epochs, batch, lr, seed, shift),
              set.record(spark.sparkContext().hadoopConfiguration(), SHAPE, 10),
              new JsonObject());
      double seconds = (System.nanoTime() - started) / 1e9;
      System.out.printf(
          Locale.ROOT,
          "data %s seed %d epochs %d shift %d limit %d: test accuracy %.4f in %.0f s;"
              + " mean confidence: test %.3f, uniform noise %.3f%n",
          data,
          seed,
          epochs,
          shift,
          limit,
          c.testAccuracy(),
          seconds,
          meanConfidence(c, test.pixels(), test.count()),
          meanConfidence(c, noise(1000, seed), 1000));
    } finally {
      spark.stop();
    }
  }
}
