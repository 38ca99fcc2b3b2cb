package io.sparkddpm.eval;

import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import com.google.gson.annotations.SerializedName;
import io.sparkddpm.base.ConfigJson;
import java.util.Map;

/**
 * The shape of the {@link LeNet} classifier, stored as {@code config.json} beside its weights
 * (through {@link ConfigJson}: every shape key is required, unknown keys are refused).
 *
 * @param sampleSize input side in pixels: the samples' (MNIST resized as training resizes it: 32)
 * @param inChannels input channels: 1 (gray) or 3 (RGB), the samples'
 * @param conv1 filters of the first 5x5 convolution
 * @param conv2 filters of the second 5x5 convolution
 * @param fc1 units of the first fully connected layer
 * @param fc2 units of the penultimate layer: the feature dimension of the Fréchet distance
 * @param numClasses output classes: the data set's (the ten digits for MNIST)
 */
public record LeNetConfig(
    int sampleSize, int inChannels, int conv1, int conv2, int fc1, int fc2, int numClasses) {
  /** Name under which the config is stored, as diffusers and transformers name theirs. */
  public static final String FILE = "config.json";

  private static final String CLASS_NAME = "LeNet";

  /** The classifier sees {@code v / 255}, not the diffusion model's range. */
  private static final Map<String, JsonElement> FIXED =
      Map.of("input_scale", new JsonPrimitive("pixel / 255"));

  /** The keys of {@code config.json}: the shape (required), then what training measured. */
  private static final class Stored {
    @SerializedName("sample_size")
    Integer sampleSize;

    @SerializedName("in_channels")
    Integer inChannels = 1; // absent from the classifiers written before RGB data

    @SerializedName("conv1_channels")
    Integer conv1;

    @SerializedName("conv2_channels")
    Integer conv2;

    @SerializedName("fc1_units")
    Integer fc1;

    @SerializedName("fc2_units")
    Integer fc2;

    @SerializedName("num_classes")
    Integer numClasses;

    @SerializedName("test_accuracy")
    JsonElement testAccuracy = JsonNull.INSTANCE;

    @SerializedName("data")
    JsonElement data = JsonNull.INSTANCE; // TrainingData; absent from older classifiers

    @SerializedName("training")
    JsonElement training = JsonNull.INSTANCE;
  }

  /** Checks that every size is positive and that two 5x5 conv + 2x2 pool stages fit the input. */
  public LeNetConfig {
    if (sampleSize < 16 || (sampleSize - 4) % 2 != 0 || ((sampleSize - 4) / 2 - 4) % 2 != 0) {
      throw new IllegalArgumentException(
          "sample_size must allow two 5x5 convolutions each followed by a 2x2 pool (e.g. 28 or"
              + " 32), got "
              + sampleSize);
    }
    if (inChannels != 1 && inChannels != 3) {
      throw new IllegalArgumentException(
          "in_channels must be 1 (gray) or 3 (RGB), got " + inChannels);
    }
    if (conv1 < 1 || conv2 < 1 || fc1 < 1 || fc2 < 1 || numClasses < 2) {
      throw new IllegalArgumentException(
          String.format(
              "channels and units must be >= 1 and num_classes >= 2, got conv1=%d conv2=%d fc1=%d"
                  + " fc2=%d num_classes=%d",
              conv1, conv2, fc1, fc2, numClasses));
    }
  }

  /** A gray classifier: the shape every classifier had before RGB data. */
  public LeNetConfig(int sampleSize, int conv1, int conv2, int fc1, int fc2, int numClasses) {
    this(sampleSize, 1, conv1, conv2, fc1, fc2, numClasses);
  }

  /** LeNet-5's layer sizes with wider convolutions (16 and 32 filters), for 32x32 MNIST. */
  public static LeNetConfig defaults() {
    return new LeNetConfig(32, 1, 16, 32, 120, 84, 10);
  }

  /** The default layers for images of {@code channels} x {@code side}^2 in {@code classes}. */
  public static LeNetConfig forImages(int channels, int side, int classes) {
    LeNetConfig d = defaults();
    return new LeNetConfig(side, channels, d.conv1, d.conv2, d.fc1, d.fc2, classes);
  }

  /** Bytes of one input image: channels x side x side. */
  public int imageBytes() {
    return inChannels * sampleSize * sampleSize;
  }

  /** Side of the feature map after the second pooling. */
  public int pooledSide() {
    return ((sampleSize - 4) / 2 - 4) / 2;
  }

  /** The penultimate layer's width, i.e. the dimension of the features compared. */
  public int featureDim() {
    return fc2;
  }

  /** The config as JSON, with the test accuracy and training provenance when known. */
  public JsonObject toJson(double testAccuracy, JsonObject training) {
    return toJson(testAccuracy, JsonNull.INSTANCE, training);
  }

  /** The config as JSON, also with the record of the data it was trained on. */
  public JsonObject toJson(double testAccuracy, JsonElement data, JsonObject training) {
    Stored s = new Stored();
    s.sampleSize = sampleSize;
    s.inChannels = inChannels;
    s.conv1 = conv1;
    s.conv2 = conv2;
    s.fc1 = fc1;
    s.fc2 = fc2;
    s.numClasses = numClasses;
    s.testAccuracy = new JsonPrimitive(testAccuracy);
    s.data = data;
    s.training = training;
    JsonObject o = new JsonObject();
    o.addProperty("_class_name", CLASS_NAME);
    ConfigJson.toJson(s).asMap().forEach(o::add);
    FIXED.forEach(o::add);
    return o;
  }

  /** Parses a stored config; {@code source} names the file in error messages. */
  public static LeNetConfig fromJson(String json, String source) {
    return ConfigJson.read(
        json,
        source,
        CLASS_NAME,
        Stored.class,
        FIXED,
        s ->
            new LeNetConfig(
                s.sampleSize, s.inChannels, s.conv1, s.conv2, s.fc1, s.fc2, s.numClasses));
  }

  /** The stored test accuracy, or NaN if the file has none. */
  public static double testAccuracy(String json) {
    JsonElement e =
        ConfigJson.read(json, FILE, CLASS_NAME, Stored.class, FIXED, s -> s.testAccuracy);
    return e.isJsonNull() ? Double.NaN : e.getAsDouble();
  }

  /** The stored record of the training data, or JSON null if the file has none. */
  public static JsonElement data(String json) {
    return ConfigJson.read(json, FILE, CLASS_NAME, Stored.class, FIXED, s -> s.data);
  }
}
