package io.sparkddpm.data;

import static org.apache.spark.sql.functions.col;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * MNIST as a Spark RDD, from IDX files or from Parquet in Hugging Face's layout, on any Hadoop file
 * system.
 *
 * <p>{@code path} is looked at in this order:
 *
 * <ol>
 *   <li>a directory holding the split's IDX pair ({@code train-images-idx3-ubyte} and {@code
 *       train-labels-idx1-ubyte}, or {@code t10k-*} for the test split; also the dotted spelling
 *       {@code train-images.idx3-ubyte}; each raw or {@code .gz}). The driver checks both files;
 *       each partition reads its own range of rows from them ({@link IdxSlices}), so any partition
 *       can be recomputed from the files; {@code index} is the position in the file.
 *   <li>Parquet with columns {@code image} struct&lt;bytes: binary (PNG), path: string&gt; and
 *       {@code label} (int or long), as Hugging Face {@code datasets} writes MNIST: a {@code
 *       .parquet} file; a directory with {@code train-*.parquet} / {@code test-*.parquet} files or
 *       a {@code train/} / {@code test/} subdirectory (the split picks); or a directory of Parquet
 *       files that all belong to the split. Executors decode the PNGs. {@code index} follows the
 *       order (file path, row within file), so it does not depend on the partition count.
 * </ol>
 */
public final class MnistSource {
  /** A split of MNIST. */
  public enum Split {
    /** 60,000 training images. */
    TRAIN("train", "train"),
    /** 10,000 test images. */
    TEST("t10k", "test");

    private final String idxPrefix;
    private final String parquetPrefix;

    Split(String idxPrefix, String parquetPrefix) {
      this.idxPrefix = idxPrefix;
      this.parquetPrefix = parquetPrefix;
    }
  }

  private MnistSource() {}

  /**
   * Loads one split of MNIST.
   *
   * @param spark the session (its Hadoop configuration opens {@code path})
   * @param path a directory of IDX files or Parquet in Hugging Face's layout (see class doc)
   * @param split which split
   * @param partitions number of partitions of the result, >= 1
   * @return the images with their labels and stable indices 0..n-1
   */
  public static JavaRDD<MnistImage> load(
      SparkSession spark, String path, Split split, int partitions) {
    return load(spark, path, split, partitions, 0);
  }

  /**
   * Loads the first {@code limit} images of one split ({@code limit} 0: all of them), cut before
   * partitioning so that they are spread over all {@code partitions}.
   */
  public static JavaRDD<MnistImage> load(
      SparkSession spark, String path, Split split, int partitions, long limit) {
    if (limit < 0) {
      throw new IllegalArgumentException("limit must be >= 0, got " + limit);
    }
    if (partitions < 1) {
      throw new IllegalArgumentException("partitions must be >= 1, got " + partitions);
    }
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    Path root = new Path(path);
    try {
      FileSystem fs = root.getFileSystem(conf);
      if (!fs.exists(root)) {
        throw new IllegalArgumentException("MNIST path does not exist: " + path);
      }
      FileStatus status = fs.getFileStatus(root);
      if (status.isDirectory()) {
        Path images = findIdx(fs, root, split.idxPrefix + "-images", "idx3-ubyte");
        Path labels = findIdx(fs, root, split.idxPrefix + "-labels", "idx1-ubyte");
        if (images != null && labels != null) {
          return IdxSlices.load(spark, images, labels, partitions, limit);
        }
        if (images != null || labels != null) {
          throw new IllegalArgumentException(
              path
                  + ": found "
                  + (images != null ? images.getName() : labels.getName())
                  + " but not its "
                  + (images != null ? "labels" : "images")
                  + " file ("
                  + idxNames(split.idxPrefix + (images != null ? "-labels" : "-images"))
                  + ")");
        }
      }
      List<String> parquet = findParquet(fs, root, status, split);
      if (parquet.isEmpty()) {
        throw new IllegalArgumentException(notFound(path, split));
      }
      return loadParquet(spark, parquet, partitions, limit);
    } catch (IOException e) {
      throw new UncheckedIOException(path + ": " + e.getMessage(), e);
    }
  }

  /**
   * The files {@link #load} reads for {@code split} of {@code path}: the IDX images and labels, or
   * the Parquet files (sorted); empty when there are none.
   */
  public static List<Path> files(Configuration conf, String path, Split split) throws IOException {
    Path root = new Path(path);
    FileSystem fs = root.getFileSystem(conf);
    FileStatus status = fs.getFileStatus(root);
    if (status.isDirectory()) {
      Path images = findIdx(fs, root, split.idxPrefix + "-images", "idx3-ubyte");
      Path labels = findIdx(fs, root, split.idxPrefix + "-labels", "idx1-ubyte");
      if (images != null && labels != null) {
        return List.of(images, labels);
      }
    }
    List<Path> out = new ArrayList<>();
    for (String p : findParquet(fs, root, status, split)) {
      Path f = new Path(p);
      if (fs.getFileStatus(f).isDirectory()) {
        parquetFiles(fs, f).forEach(x -> out.add(new Path(x)));
      } else {
        out.add(f);
      }
    }
    return out;
  }

  /**
   * The 32x32 model input of an image: Pillow-exact bilinear resize, then {@code range}.
   *
   * @return 1024 floats, row-major (1, 32, 32)
   */
  public static float[] toModelInput(MnistImage image, PixelRange range) {
    float[] out = new float[PillowResize.OUT * PillowResize.OUT];
    toModelInput(image, range, out, 0);
    return out;
  }

  /** Writes the 32x32 model input of {@code image} into {@code out[offset .. offset+1024)}. */
  public static void toModelInput(MnistImage image, PixelRange range, float[] out, int offset) {
    byte[] resized = PillowResize.resize(image.pixels());
    for (int i = 0; i < resized.length; i++) {
      out[offset + i] = range.toModel(resized[i] & 0xFF);
    }
  }

  private static String notFound(String path, Split split) {
    String p = split.parquetPrefix;
    return String.format(
        "no MNIST %s data at %s: looked for IDX files %s with %s, and for Parquet files"
            + " (*.parquet, %s-*.parquet, %s/*.parquet)",
        split.name().toLowerCase(Locale.ROOT),
        path,
        idxNames(split.idxPrefix + "-images"),
        idxNames(split.idxPrefix + "-labels"),
        p,
        p);
  }

  private static String idxNames(String stem) {
    String ext = stem.endsWith("-images") ? "idx3-ubyte" : "idx1-ubyte";
    return stem + "-" + ext + "[.gz] or " + stem + "." + ext + "[.gz]";
  }

  private static Path findIdx(FileSystem fs, Path dir, String stem, String ext) throws IOException {
    for (String name : List.of(stem + "-" + ext, stem + "." + ext)) {
      for (String suffix : List.of("", ".gz")) {
        Path p = new Path(dir, name + suffix);
        if (fs.isFile(p)) {
          return p;
        }
      }
    }
    return null;
  }

  private static List<String> findParquet(FileSystem fs, Path root, FileStatus status, Split split)
      throws IOException {
    if (status.isFile()) {
      return root.getName().endsWith(".parquet") ? List.of(root.toString()) : List.of();
    }
    Path splitDir = new Path(root, split.parquetPrefix);
    if (fs.isDirectory(splitDir) && !parquetFiles(fs, splitDir).isEmpty()) {
      return List.of(splitDir.toString());
    }
    List<String> all = parquetFiles(fs, root);
    // HF names its files train-00000-of-00001.parquet, test-...; a Spark output directory
    // (part-*.parquet) holds one split only, so all of it is read.
    boolean namedBySplit =
        all.stream().anyMatch(f -> new Path(f).getName().matches("(train|test)-.*"));
    if (!namedBySplit) {
      return all.isEmpty() ? List.of() : List.of(root.toString());
    }
    List<String> ofSplit = new ArrayList<>();
    for (String f : all) {
      if (new Path(f).getName().startsWith(split.parquetPrefix + "-")) {
        ofSplit.add(f);
      }
    }
    return ofSplit;
  }

  private static List<String> parquetFiles(FileSystem fs, Path dir) throws IOException {
    List<String> out = new ArrayList<>();
    for (FileStatus s : fs.listStatus(dir)) {
      if (s.isFile() && s.getPath().getName().endsWith(".parquet")) {
        out.add(s.getPath().toString());
      }
    }
    out.sort(null);
    return out;
  }

  private static JavaRDD<MnistImage> loadParquet(
      SparkSession spark, List<String> paths, int partitions, long limit) {
    Dataset<Row> df = spark.read().parquet(paths.toArray(new String[0]));
    checkSchema(df.schema(), paths);
    // Range-partitioning on (file, row) then zipWithIndex numbers the rows in file order whatever
    // the partition count; the hidden _metadata columns are Spark's own file provenance.
    Dataset<Row> rows =
        df.select(
            col("image.bytes").as("png"),
            col("label").cast(DataTypes.LongType).as("label"),
            col("_metadata.file_path").as("file"),
            col("_metadata.row_index").as("row"));
    if (limit > 0) {
      rows = rows.orderBy(col("file"), col("row")).limit((int) Math.min(limit, Integer.MAX_VALUE));
    }
    Dataset<Row> ordered =
        rows.repartitionByRange(partitions, col("file"), col("row"))
            .sortWithinPartitions(col("file"), col("row"));
    return ordered.javaRDD().zipWithIndex().map(pair -> decode(pair._1(), pair._2()));
  }

  private static void checkSchema(StructType schema, List<String> paths) {
    String problem = schemaProblem(schema);
    if (problem != null) {
      throw new IllegalArgumentException(
          String.join(", ", paths)
              + ": "
              + problem
              + "; expected Hugging Face's MNIST layout: image struct<bytes: binary, path: string>,"
              + " label int or long; found "
              + schema.simpleString());
    }
  }

  /** What is wrong with the two columns read, naming the field; null when they fit. */
  private static String schemaProblem(StructType schema) {
    DataType image = field(schema.fields(), "image");
    if (image == null) {
      return "no column image";
    }
    if (!(image instanceof StructType struct)) {
      return "column image is " + image.simpleString() + ", not a struct";
    }
    DataType bytes = field(struct.fields(), "bytes");
    if (!(bytes instanceof BinaryType)) {
      return bytes == null
          ? "column image has no field bytes"
          : "image.bytes is " + bytes.simpleString() + ", not binary (PNG bytes)";
    }
    DataType label = field(schema.fields(), "label");
    if (label == null) {
      return "no column label";
    }
    if (!label.sameType(DataTypes.IntegerType) && !label.sameType(DataTypes.LongType)) {
      return "label is " + label.simpleString() + ", not an integer (int or long)";
    }
    return null;
  }

  private static DataType field(StructField[] fields, String name) {
    return Arrays.stream(fields)
        .filter(f -> f.name().equals(name))
        .map(StructField::dataType)
        .findFirst()
        .orElse(null);
  }

  private static MnistImage decode(Row row, long index) {
    String where = row.getString(2) + ": row " + row.getLong(3);
    if (row.isNullAt(1)) {
      throw new IllegalArgumentException(where + ": label is null");
    }
    long label = row.getLong(1);
    if (label < 0 || label > 9) {
      throw new IllegalArgumentException(where + ": label " + label + " is outside 0..9");
    }
    if (row.isNullAt(0)) {
      throw new IllegalArgumentException(where + ": image.bytes is null");
    }
    return new MnistImage(index, (int) label, decodePng((byte[]) row.get(0), where));
  }

  /** Decodes a 28x28 8-bit grayscale PNG; {@code where} names it in error messages. */
  static byte[] decodePng(byte[] png, String where) {
    BufferedImage img;
    try {
      ImageIO.setUseCache(false); // decode in memory, no temp files on the executor
      img = ImageIO.read(new ByteArrayInputStream(png));
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException(
          where + ": image.bytes is not a decodable PNG (" + e.getMessage() + ")", e);
    }
    if (img == null) {
      throw new IllegalArgumentException(where + ": image.bytes is not a decodable PNG");
    }
    // TYPE_BYTE_GRAY is what ImageIO gives for an 8-bit gray PNG (Pillow mode "L"); a palette or
    // RGB image would need a colour conversion the Python recipe does not do.
    if (img.getWidth() != MnistImage.SIDE
        || img.getHeight() != MnistImage.SIDE
        || img.getType() != BufferedImage.TYPE_BYTE_GRAY) {
      throw new IllegalArgumentException(
          where
              + ": expected a 28x28 8-bit grayscale PNG, got "
              + img.getWidth()
              + "x"
              + img.getHeight()
              + " of BufferedImage type "
              + img.getType());
    }
    int[] samples =
        img.getRaster().getSamples(0, 0, MnistImage.SIDE, MnistImage.SIDE, 0, (int[]) null);
    byte[] pixels = new byte[MnistImage.PIXELS];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = (byte) samples[i];
    }
    return pixels;
  }
}
