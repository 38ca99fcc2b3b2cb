package io.sparkddpm.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.sparkddpm.io.DirectoryReplace;
import io.sparkddpm.io.HadoopFiles;
import io.sparkddpm.io.SafeTensors;
import io.sparkddpm.io.StagedOutput;
import io.sparkddpm.io.Tensor;
import io.sparkddpm.model.NDArrays;
import io.sparkddpm.model.NoGrad;
import io.sparkddpm.model.Precision;
import java.io.IOException;
import java.io.Serializable;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A trained {@link LeNet}: its config, weights and test accuracy, small enough (~0.2 MB) to travel
 * to executors as a broadcast. On disk it is a folder in the diffusers/transformers form: {@code
 * config.json} (shape, test accuracy, training provenance) and {@code model.safetensors} (float32
 * tensors under PyTorch-style names).
 */
public final class Classifier implements Serializable {
  private static final long serialVersionUID = 1L;

  /** File of the weights inside a classifier folder. */
  public static final String WEIGHTS = "model.safetensors";

  private final String configJson;
  private final LinkedHashMap<String, float[]> weights;
  private final LinkedHashMap<String, long[]> shapes;
  private final double testAccuracy;

  private Classifier(
      String configJson,
      LinkedHashMap<String, float[]> weights,
      LinkedHashMap<String, long[]> shapes,
      double testAccuracy) {
    this.configJson = configJson;
    this.weights = weights;
    this.shapes = shapes;
    this.testAccuracy = testAccuracy;
  }

  /** Copies the weights out of a network trained on {@code data}. */
  static Classifier of(LeNet net, double testAccuracy, TrainingData data, JsonObject training) {
    LinkedHashMap<String, float[]> weights = new LinkedHashMap<>();
    LinkedHashMap<String, long[]> shapes = new LinkedHashMap<>();
    for (Map.Entry<String, Parameter> e : net.stateDict().entrySet()) {
      NDArray a = e.getValue().getArray();
      weights.put(e.getKey(), a.toFloatArray());
      shapes.put(e.getKey(), a.getShape().getShape());
    }
    String json =
        new GsonBuilder()
            .setPrettyPrinting()
            .create()
            .toJson(net.config().toJson(testAccuracy, data.toJson(), training));
    return new Classifier(json, weights, shapes, testAccuracy);
  }

  /** The network's shape. */
  public LeNetConfig config() {
    return LeNetConfig.fromJson(configJson, LeNetConfig.FILE);
  }

  /** Accuracy on the test images of its data set, measured when it was trained. */
  public double testAccuracy() {
    return testAccuracy;
  }

  /** What it was trained on; empty for a classifier written before this was recorded. */
  java.util.Optional<TrainingData> trainedOn() {
    JsonElement data = LeNetConfig.data(configJson);
    return data.isJsonNull()
        ? java.util.Optional.empty()
        : java.util.Optional.of(TrainingData.fromJson(data, LeNetConfig.FILE));
  }

  /** Whether {@code dir} holds a classifier (its config file exists). */
  public static boolean exists(Configuration conf, Path dir) throws IOException {
    FileSystem fs = dir.getFileSystem(conf);
    return fs.exists(new Path(DirectoryReplace.resolve(fs, dir), LeNetConfig.FILE));
  }

  /**
   * Reads a classifier folder; {@link IllegalArgumentException} names the file and what is wrong
   * (unknown config keys, a missing or misshapen tensor).
   */
  public static Classifier read(Configuration conf, Path folder) throws IOException {
    // mid-replacement (a crashed write): the complete one of old and new
    Path dir = DirectoryReplace.resolve(folder.getFileSystem(conf), folder);
    Path configFile = new Path(dir, LeNetConfig.FILE);
    Path weightsFile = new Path(dir, WEIGHTS);
    String json = HadoopFiles.readText(conf, configFile);
    LeNetConfig config = LeNetConfig.fromJson(json, configFile.toString());
    JsonElement data = LeNetConfig.data(json);
    if (!data.isJsonNull()) {
      TrainingData.fromJson(data, configFile.toString()); // a malformed record fails here
    }
    if (!dir.getFileSystem(conf).exists(weightsFile)) {
      throw new IllegalArgumentException(weightsFile + " is missing");
    }
    SafeTensors.Contents st =
        SafeTensors.read(HadoopFiles.read(conf, weightsFile), weightsFile.toString());
    LinkedHashMap<String, float[]> weights = new LinkedHashMap<>();
    LinkedHashMap<String, long[]> shapes = new LinkedHashMap<>();
    try (NDManager manager = NDManager.newBaseManager()) {
      LeNet net = new LeNet(config);
      net.initialize(manager);
      for (Map.Entry<String, Parameter> e : net.stateDict().entrySet()) {
        Tensor t = st.get(e.getKey());
        long[] expected = e.getValue().getArray().getShape().getShape();
        if (!Arrays.equals(t.shape(), expected)) {
          throw new IllegalArgumentException(
              String.format(
                  "%s: %s has shape %s, the config needs %s",
                  weightsFile, e.getKey(), Arrays.toString(t.shape()), Arrays.toString(expected)));
        }
        weights.put(e.getKey(), t.toFloats());
        shapes.put(e.getKey(), expected);
      }
    }
    if (st.tensors().size() != weights.size()) {
      throw new IllegalArgumentException(
          weightsFile
              + ": "
              + st.tensors().size()
              + " tensors, the config needs "
              + weights.size());
    }
    return new Classifier(json, weights, shapes, LeNetConfig.testAccuracy(json));
  }

  /**
   * Writes the folder: into a hidden sibling first ({@link StagedOutput}), renamed when complete,
   * so a failure leaves no half-written classifier behind for the next run to reuse.
   */
  public void write(Configuration conf, Path dir) throws IOException {
    try (StagedOutput staged = StagedOutput.directory(conf, dir)) {
      Path staging = staged.path();
      Map<String, Tensor> tensors = new LinkedHashMap<>();
      weights.forEach((k, v) -> tensors.put(k, Tensor.ofFloats(shapes.get(k), v)));
      HadoopFiles.write(
          conf, new Path(staging, WEIGHTS), SafeTensors.encode(tensors, Map.of("format", "pt")));
      HadoopFiles.writeText(conf, new Path(staging, LeNetConfig.FILE), configJson);
      staged.replace();
    }
  }

  /** A network on {@code manager} holding these weights, for inference in float32. */
  public LeNet build(NDManager manager) {
    return build(manager, Precision.FP32);
  }

  /** A network on {@code manager} holding these weights, for inference in {@code precision}. */
  public LeNet build(NDManager manager, Precision precision) {
    LeNet net = new LeNet(config(), precision);
    net.initialize(manager);
    for (Map.Entry<String, Parameter> e : net.stateDict().entrySet()) {
      NDArrays.fill(e.getValue().getArray(), weights.get(e.getKey()), 0);
    }
    return net;
  }

  /**
   * Logits-free inference on a batch: softmax probabilities and penultimate features.
   *
   * @param pixels {@code n * channels * side * side} 8-bit pixels, (C, H, W) images one after
   *     another
   * @return probabilities (n, classes) and features (n, featureDim), row-major
   */
  public static Output predict(LeNet net, NDManager manager, byte[] pixels, int n) {
    int side = net.config().sampleSize();
    int channels = net.config().inChannels();
    float[] x = new float[pixels.length];
    for (int i = 0; i < x.length; i++) {
      x[i] = (pixels[i] & 0xFF) / 255f;
    }
    try (NoGrad off = NoGrad.enter();
        NDManager batch = manager.newSubManager()) {
      NDArray input = batch.create(x, new Shape(n, channels, side, side)); // (B, C, S, S)
      NDList out = net.forward(new ParameterStore(batch, false), new NDList(input), false);
      float[] probs = out.get(0).softmax(1).toFloatArray(); // (B, classes)
      float[] features = out.get(1).toFloatArray(); // (B, 84)
      return new Output(probs, features);
    }
  }

  /** Softmax probabilities and features of a batch, row-major. */
  public record Output(float[] probabilities, float[] features) {}
}
