package io.sparkddpm.train;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.sparkddpm.data.ImageSource;
import java.io.IOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;

/**
 * The training data's files as a checkpoint records them: each file's size and modification time. A
 * resumed run compares them with the files it finds, because resuming onto other data would
 * silently break the promise that a resumed run equals an uninterrupted one.
 *
 * <p>Size and modification time, not a content hash: hashing 60,000 images (or a large Parquet set)
 * at every start costs a full read, while any rewrite of a file changes its time. A copy that does
 * not keep times ({@code cp} without {@code -p}, {@code distcp} without {@code -pt}) is reported as
 * a change; {@code --allow-data-change} then resumes anyway.
 *
 * @param files path -> "size bytes, modified time" of each file read, in the order read
 */
public record DataFingerprint(Map<String, String> files) {
  /** Copies the map. */
  public DataFingerprint {
    files = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(files));
  }

  /** The fingerprint of the training split at {@code data} as {@link ImageSource} reads it. */
  public static DataFingerprint of(Configuration conf, String data) throws IOException {
    Map<String, String> files = new LinkedHashMap<>();
    for (Path p : ImageSource.files(conf, data)) {
      FileStatus s = p.getFileSystem(conf).getFileStatus(p);
      files.put(
          p.toUri().getPath(),
          s.getLen() + " bytes, modified " + Instant.ofEpochMilli(s.getModificationTime()));
    }
    return new DataFingerprint(files);
  }

  /** As trainer_state.json stores it: {"path": "size bytes, modified time", ...}. */
  public JsonObject toJson() {
    JsonObject o = new JsonObject();
    files.forEach(o::addProperty);
    return o;
  }

  /** The fingerprint {@link #toJson} wrote. */
  public static DataFingerprint fromJson(JsonObject o) {
    Map<String, String> files = new LinkedHashMap<>();
    for (Map.Entry<String, JsonElement> e : o.entrySet()) {
      files.put(e.getKey(), e.getValue().getAsString());
    }
    return new DataFingerprint(files);
  }

  /** How {@code now} differs from this recorded fingerprint, naming the first file that does. */
  public Optional<String> differenceTo(DataFingerprint now) {
    for (Map.Entry<String, String> e : files.entrySet()) {
      String current = now.files.get(e.getKey());
      if (current == null) {
        return Optional.of(e.getKey() + " is gone");
      }
      if (!current.equals(e.getValue())) {
        return Optional.of(e.getKey() + " was " + e.getValue() + ", is now " + current);
      }
    }
    for (String f : now.files.keySet()) {
      if (!files.containsKey(f)) {
        return Optional.of(f + " is new");
      }
    }
    return Optional.empty();
  }
}
