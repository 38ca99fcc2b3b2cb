package io.sparkddpm.eval;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What a classifier was trained on, stored under {@code data} in its {@code config.json}: the data
 * set's path and files, and the images' channels, size and class count. A classifier is reused only
 * for the data and the samples it fits ({@link #differenceTo}).
 *
 * <p>Files are compared by their path below the data set's root and their size, not by the root or
 * modification time: a copy of the same set elsewhere (HDFS, another folder) is the same set, while
 * a file added, removed or rewritten to another size is not. Hashing the content would read the
 * whole set at every start; a set rewritten to the same sizes is therefore not detected.
 *
 * @param path the data set's root as given to the run that trained the classifier
 * @param files path below the root -> size in bytes, of every file read, in the order read
 * @param channels 1 (gray) or 3 (RGB)
 * @param size side of the (square) images the classifier takes
 * @param classes number of classes of the labels
 */
record TrainingData(String path, Map<String, Long> files, int channels, int size, int classes) {
  TrainingData {
    files = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(files));
  }

  /** The images' shape as a reader says it: "3-channel 32x32". */
  static String shape(int channels, int size) {
    return String.format(Locale.ROOT, "%d-channel %dx%d", channels, size, size);
  }

  /**
   * How {@code now} (the current --data and samples) differs from this record, naming the first
   * difference; empty when the classifier fits them.
   */
  Optional<String> differenceTo(TrainingData now) {
    if (channels != now.channels || size != now.size) {
      return Optional.of(
          "it takes "
              + shape(channels, size)
              + " images, the samples are "
              + shape(now.channels, now.size));
    }
    for (Map.Entry<String, Long> e : files.entrySet()) {
      Long current = now.files.get(e.getKey());
      if (current == null) {
        return Optional.of(e.getKey() + " is not in --data " + now.path);
      }
      if (!current.equals(e.getValue())) {
        return Optional.of(
            e.getKey()
                + " was "
                + e.getValue()
                + " bytes, is "
                + current
                + " bytes in "
                + now.path);
      }
    }
    for (String f : now.files.keySet()) {
      if (!files.containsKey(f)) {
        return Optional.of(
            f + " of --data " + now.path + " is not among the files it was trained on");
      }
    }
    return Optional.empty();
  }

  JsonObject toJson() {
    JsonObject o = new JsonObject();
    o.addProperty("path", path);
    o.addProperty("channels", channels);
    o.addProperty("size", size);
    o.addProperty("classes", classes);
    JsonObject f = new JsonObject();
    files.forEach(f::addProperty);
    o.add("files", f);
    return o;
  }

  /** The record {@link #toJson} wrote; {@code source} names the file in messages. */
  static TrainingData fromJson(JsonElement e, String source) {
    try {
      JsonObject o = e.getAsJsonObject();
      Map<String, Long> files = new LinkedHashMap<>();
      for (Map.Entry<String, JsonElement> f : o.getAsJsonObject("files").entrySet()) {
        files.put(f.getKey(), f.getValue().getAsLong());
      }
      return new TrainingData(
          o.get("path").getAsString(),
          files,
          o.get("channels").getAsInt(),
          o.get("size").getAsInt(),
          o.get("classes").getAsInt());
    } catch (RuntimeException ex) {
      throw new IllegalArgumentException(
          source + ": data must be {path, channels, size, classes, files: {name: bytes}}, got " + e,
          ex);
    }
  }
}
