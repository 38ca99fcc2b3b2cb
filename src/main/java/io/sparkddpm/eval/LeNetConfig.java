package io.sparkddpm.eval;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.Set;

/**
 * The shape of the {@link LeNet} classifier, stored as {@code config.json} beside its weights.
 *
 * @param sampleSize input side in pixels (MNIST resized as training resizes it: 32)
 * @param conv1 filters of the first 5x5 convolution
 * @param conv2 filters of the second 5x5 convolution
 * @param fc1 units of the first fully connected layer
 * @param fc2 units of the penultimate layer: the feature dimension of the Fréchet distance
 * @param numClasses output classes (the ten digits)
 */
public record LeNetConfig(int sampleSize, int conv1, int conv2, int fc1, int fc2, int numClasses) {
  /** Name under which the config is stored, as diffusers and transformers name theirs. */
  public static final String FILE = "config.json";

  private static final String CLASS_NAME = "LeNet";
  private static final Set<String> KEYS =
      Set.of(
          "_class_name",
          "sample_size",
          "conv1_channels",
          "conv2_channels",
          "fc1_units",
          "fc2_units",
          "num_classes",
          "input_scale",
          "test_accuracy",
          "training");

  /** Checks that every size is positive and that two 5x5 conv + 2x2 pool stages fit the input. */
  public LeNetConfig {
    if (sampleSize < 16 || (sampleSize - 4) % 2 != 0 || ((sampleSize - 4) / 2 - 4) % 2 != 0) {
      throw new IllegalArgumentException(
          "sample_size must allow two 5x5 convolutions each followed by a 2x2 pool (e.g. 28 or"
              + " 32), got "
              + sampleSize);
    }
    if (conv1 < 1 || conv2 < 1 || fc1 < 1 || fc2 < 1 || numClasses < 2) {
      throw new IllegalArgumentException(
          String.format(
              "channels and units must be >= 1 and num_classes >= 2, got conv1=%d conv2=%d fc1=%d"
                  + " fc2=%d num_classes=%d",
              conv1, conv2, fc1, fc2, numClasses));
    }
  }

  /** LeNet-5's layer sizes with wider convolutions (16 and 32 filters), for 32x32 MNIST. */
  public static LeNetConfig defaults() {
    return new LeNetConfig(32, 16, 32, 120, 84, 10);
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
    JsonObject o = new JsonObject();
    o.addProperty("_class_name", CLASS_NAME);
    o.addProperty("sample_size", sampleSize);
    o.addProperty("conv1_channels", conv1);
    o.addProperty("conv2_channels", conv2);
    o.addProperty("fc1_units", fc1);
    o.addProperty("fc2_units", fc2);
    o.addProperty("num_classes", numClasses);
    o.addProperty("input_scale", "pixel / 255");
    o.addProperty("test_accuracy", testAccuracy);
    o.add("training", training);
    return o;
  }

  /**
   * Parses a stored config; {@code source} names the file in error messages. Unknown keys and a
   * class other than LeNet are errors.
   */
  public static LeNetConfig fromJson(String json, String source) {
    JsonObject o;
    try {
      o = JsonParser.parseString(json).getAsJsonObject();
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(source + ": not a JSON object (" + e.getMessage() + ")");
    }
    for (String key : o.keySet()) {
      if (!KEYS.contains(key)) {
        throw new IllegalArgumentException(source + ": unknown key \"" + key + "\"");
      }
    }
    String cls = string(o, "_class_name", source);
    if (!cls.equals(CLASS_NAME)) {
      throw new IllegalArgumentException(
          source + ": _class_name is \"" + cls + "\", expected \"" + CLASS_NAME + "\"");
    }
    try {
      return new LeNetConfig(
          integer(o, "sample_size", source),
          integer(o, "conv1_channels", source),
          integer(o, "conv2_channels", source),
          integer(o, "fc1_units", source),
          integer(o, "fc2_units", source),
          integer(o, "num_classes", source));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
    }
  }

  /** The stored test accuracy, or NaN if the file has none. */
  public static double testAccuracy(String json) {
    JsonElement e = JsonParser.parseString(json).getAsJsonObject().get("test_accuracy");
    return e == null || e.isJsonNull() ? Double.NaN : e.getAsDouble();
  }

  private static String string(JsonObject o, String key, String source) {
    JsonElement e = o.get(key);
    if (e == null || !e.isJsonPrimitive()) {
      throw new IllegalArgumentException(source + ": missing string \"" + key + "\"");
    }
    return e.getAsString();
  }

  private static int integer(JsonObject o, String key, String source) {
    JsonElement e = o.get(key);
    if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
      throw new IllegalArgumentException(source + ": missing integer \"" + key + "\"");
    }
    return e.getAsInt();
  }
}
