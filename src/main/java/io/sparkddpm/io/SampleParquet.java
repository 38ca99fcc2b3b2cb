package io.sparkddpm.io;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.util.HadoopOutputFile;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

/**
 * Generated samples as a Parquet file that Hugging Face {@code datasets} loads with an Image column
 * and no cast.
 *
 * <p>{@code datasets} recognises an image column from two things: the struct {@code image<bytes:
 * binary, path: string>} in exactly that order, and the footer key {@value #HUGGINGFACE_KEY} naming
 * its feature type. Spark's writer cannot add footer keys, so each Spark task calls {@link #write}
 * for its own part file, going through parquet-hadoop directly. All methods are static and take the
 * Hadoop configuration as an argument, so nothing but the rows has to reach the executor.
 */
public final class SampleParquet {
  /** Footer key under which {@code datasets} looks for its feature types. */
  public static final String HUGGINGFACE_KEY = "huggingface";

  /** The {@code datasets} features of {@link #SCHEMA}, stored under {@link #HUGGINGFACE_KEY}. */
  public static final String HUGGINGFACE_FEATURES =
      "{\"info\":{\"features\":{"
          + "\"image\":{\"_type\":\"Image\"},"
          + "\"index\":{\"dtype\":\"int64\",\"_type\":\"Value\"},"
          + "\"seed\":{\"dtype\":\"int64\",\"_type\":\"Value\"},"
          + "\"scheduler\":{\"dtype\":\"string\",\"_type\":\"Value\"},"
          + "\"steps\":{\"dtype\":\"int32\",\"_type\":\"Value\"},"
          + "\"checkpoint\":{\"dtype\":\"string\",\"_type\":\"Value\"},"
          + "\"class\":{\"dtype\":\"int64\",\"_type\":\"Value\"},"
          + "\"guidance_scale\":{\"dtype\":\"float64\",\"_type\":\"Value\"}}}}";

  /** Every field optional, as pyarrow writes the nullable columns of a {@code datasets} table. */
  public static final MessageType SCHEMA =
      MessageTypeParser.parseMessageType(
          """
          message schema {
            optional group image {
              optional binary bytes;
              optional binary path (UTF8);
            }
            optional int64 index;
            optional int64 seed;
            optional binary scheduler (UTF8);
            optional int32 steps;
            optional binary checkpoint (UTF8);
            optional int64 class;
            optional double guidance_scale;
          }
          """);

  /**
   * One generated sample.
   *
   * @param png the image as PNG bytes
   * @param path a file name for the image (datasets shows it; may be null)
   * @param index position of the sample in the whole run
   * @param seed seed of the sample's initial noise
   * @param scheduler scheduler name, e.g. "ddpm" or "ddim"
   * @param steps number of reverse-process steps
   * @param checkpoint the checkpoint the sample was drawn from
   * @param classLabel the class a conditional model was asked for; null for an unconditional one
   * @param guidanceScale the classifier-free guidance scale; null for an unconditional model
   */
  public record SampleRow(
      byte[] png,
      String path,
      long index,
      long seed,
      String scheduler,
      int steps,
      String checkpoint,
      Long classLabel,
      Double guidanceScale) {
    /** Requires the image bytes; the strings may be null, as the schema allows. */
    public SampleRow {
      Objects.requireNonNull(png, "png");
    }

    /** A sample of an unconditional model. */
    public SampleRow(
        byte[] png,
        String path,
        long index,
        long seed,
        String scheduler,
        int steps,
        String checkpoint) {
      this(png, path, index, seed, scheduler, steps, checkpoint, null, null);
    }

    // Records compare arrays by identity; rows that hold the same image are equal.
    @Override
    public boolean equals(Object o) {
      return o instanceof SampleRow r
          && Arrays.equals(png, r.png)
          && Objects.equals(path, r.path)
          && index == r.index
          && seed == r.seed
          && Objects.equals(scheduler, r.scheduler)
          && steps == r.steps
          && Objects.equals(checkpoint, r.checkpoint)
          && Objects.equals(classLabel, r.classLabel)
          && Objects.equals(guidanceScale, r.guidanceScale);
    }

    @Override
    public int hashCode() {
      return Objects.hash(
          Arrays.hashCode(png),
          path,
          index,
          seed,
          scheduler,
          steps,
          checkpoint,
          classLabel,
          guidanceScale);
    }

    @Override
    public String toString() {
      return "SampleRow[png="
          + png.length
          + " bytes, path="
          + path
          + ", index="
          + index
          + ", seed="
          + seed
          + ", scheduler="
          + scheduler
          + ", steps="
          + steps
          + ", checkpoint="
          + checkpoint
          + ", class="
          + classLabel
          + ", guidance_scale="
          + guidanceScale
          + "]";
    }
  }

  private SampleParquet() {}

  /**
   * Writes {@code rows} to a new Parquet file on any Hadoop file system.
   *
   * <p>Never overwrites: if {@code file} exists this fails and leaves it untouched. If writing
   * fails after the file was created, the partial file is deleted. Uncompressed, because PNG bytes
   * are already deflated.
   *
   * @throws org.apache.hadoop.fs.FileAlreadyExistsException if {@code file} exists
   */
  public static void write(Configuration conf, Path file, List<SampleRow> rows) throws IOException {
    ParquetWriter<Group> writer =
        ExampleParquetWriter.builder(HadoopOutputFile.fromPath(file, conf))
            .withConf(conf)
            .withType(SCHEMA)
            .withWriteMode(ParquetFileWriter.Mode.CREATE)
            .withCompressionCodec(CompressionCodecName.UNCOMPRESSED)
            .withExtraMetaData(Map.of(HUGGINGFACE_KEY, HUGGINGFACE_FEATURES))
            .build(); // creates the file; fails here if it exists
    boolean complete = false;
    try {
      try (writer) {
        SimpleGroupFactory groups = new SimpleGroupFactory(SCHEMA);
        for (SampleRow row : rows) {
          writer.write(toGroup(groups, row));
        }
      }
      complete = true;
    } finally {
      if (!complete) {
        file.getFileSystem(conf).delete(file, false);
      }
    }
  }

  /** Reads every row of a file written by {@link #write}. */
  public static List<SampleRow> read(Configuration conf, Path file) throws IOException {
    List<SampleRow> rows = new ArrayList<>();
    try (ParquetReader<Group> reader =
        ParquetReader.builder(new GroupReadSupport(), file).withConf(conf).build()) {
      for (Group group = reader.read(); group != null; group = reader.read()) {
        rows.add(fromGroup(group));
      }
    }
    return rows;
  }

  private static Group toGroup(SimpleGroupFactory groups, SampleRow row) {
    Group group = groups.newGroup();
    Group image = group.addGroup("image");
    image.add("bytes", Binary.fromConstantByteArray(row.png()));
    if (row.path() != null) {
      image.add("path", row.path());
    }
    group.add("index", row.index());
    group.add("seed", row.seed());
    if (row.scheduler() != null) {
      group.add("scheduler", row.scheduler());
    }
    group.add("steps", row.steps());
    if (row.checkpoint() != null) {
      group.add("checkpoint", row.checkpoint());
    }
    if (row.classLabel() != null) {
      group.add("class", row.classLabel());
    }
    if (row.guidanceScale() != null) {
      group.add("guidance_scale", row.guidanceScale());
    }
    return group;
  }

  private static SampleRow fromGroup(Group group) {
    Group image = group.getGroup("image", 0);
    return new SampleRow(
        image.getBinary("bytes", 0).getBytes(),
        stringOrNull(image, "path"),
        group.getLong("index", 0),
        group.getLong("seed", 0),
        stringOrNull(group, "scheduler"),
        group.getInteger("steps", 0),
        stringOrNull(group, "checkpoint"),
        group.getFieldRepetitionCount("class") == 0 ? null : group.getLong("class", 0),
        group.getFieldRepetitionCount("guidance_scale") == 0
            ? null
            : group.getDouble("guidance_scale", 0));
  }

  private static String stringOrNull(Group group, String field) {
    return group.getFieldRepetitionCount(field) == 0 ? null : group.getString(field, 0);
  }
}
