package io.sparkddpm.eval;

import static org.apache.spark.sql.functions.col;

import io.sparkddpm.base.BadInputException;
import io.sparkddpm.data.MnistSource;
import io.sparkddpm.data.PillowResize;
import io.sparkddpm.io.PngImages;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The image sets EvaluateJob scores, as RDDs of 32x32 8-bit images: the samples (SampleJob's
 * Parquet or a folder of PNGs), MNIST images resized exactly as training resizes them (reference
 * and floor), and uniform noise (ceiling). Executors decode and check the sample images; a bad one
 * fails the job with a message naming its file (and row) and the field.
 */
final class ImageSets {
  static final int SIDE = PillowResize.OUT;

  private ImageSets() {}

  /** Where the samples are ({@code given} is the --samples value) and in which form. */
  record Source(String given, String kind, List<String> paths) {}

  /**
   * Finds the samples under {@code path}: SampleJob's output folder ({@code parquet/}), a Parquet
   * file or folder of them, or a folder of PNG files (directly or under {@code images/}).
   */
  static Source locate(Configuration conf, String path) throws IOException {
    Path root = new Path(path);
    FileSystem fs = root.getFileSystem(conf);
    if (!fs.exists(root)) {
      throw new BadInputException("--samples " + path + " does not exist");
    }
    if (fs.isFile(root)) {
      if (root.getName().endsWith(".parquet")) {
        return new Source(path, "parquet", List.of(root.toString()));
      }
      throw new BadInputException(
          "--samples " + path + ": a file must be .parquet; give a folder for PNG images");
    }
    for (Path dir : List.of(new Path(root, "parquet"), root)) {
      List<String> parquet = files(fs, dir, ".parquet");
      if (!parquet.isEmpty()) {
        return new Source(path, "parquet", parquet);
      }
    }
    // SampleJob's grid.png and trajectory.png sit beside images/: prefer that folder.
    for (Path dir : List.of(new Path(root, "images"), root)) {
      List<String> png = files(fs, dir, ".png");
      if (!png.isEmpty()) {
        return new Source(path, "png", png);
      }
    }
    throw new BadInputException(
        "--samples "
            + path
            + ": no images found: looked for Parquet (parquet/*.parquet, *.parquet) and PNG"
            + " files (images/*.png, *.png)");
  }

  private static List<String> files(FileSystem fs, Path dir, String suffix) throws IOException {
    List<String> out = new ArrayList<>();
    if (!fs.isDirectory(dir)) {
      return out;
    }
    for (FileStatus s : fs.listStatus(dir)) {
      if (s.isFile() && s.getPath().getName().endsWith(suffix)) {
        out.add(s.getPath().toString());
      }
    }
    out.sort(null);
    return out;
  }

  /** The samples as images, numbered in (file, row) order; decoding happens on the executors. */
  static JavaRDD<EvalImage> samples(SparkSession spark, Source source, int partitions) {
    if (source.kind().equals("png")) {
      JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
      List<String> files = source.paths();
      java.util.HashMap<String, String> hadoop = new java.util.HashMap<>();
      sc.hadoopConfiguration().forEach(e -> hadoop.put(e.getKey(), e.getValue()));
      // Only the names travel; each task reads its own files.
      return sc.parallelize(indexed(files), partitions)
          .map(
              f -> {
                Configuration conf = new Configuration(false);
                hadoop.forEach(conf::set);
                Path p = new Path(f.name());
                byte[] bytes;
                try (var in = p.getFileSystem(conf).open(p)) {
                  bytes = in.readAllBytes();
                }
                return decode(f.index(), bytes, f.name());
              });
    }
    Dataset<Row> df = spark.read().parquet(source.paths().toArray(new String[0]));
    checkSchema(df.schema(), source);
    // A conditional model's samples carry the class they were asked for: their label here.
    boolean classes = Arrays.asList(df.schema().fieldNames()).contains("class");
    Dataset<Row> rows =
        df.select(
                col("image.bytes").as("png"),
                col("_metadata.file_path").as("file"),
                col("_metadata.row_index").as("row"),
                classes
                    ? col("class").cast(org.apache.spark.sql.types.DataTypes.LongType).as("class")
                    : org.apache.spark.sql.functions.lit(null).cast("long").as("class"))
            .repartitionByRange(partitions, col("file"), col("row"))
            .sortWithinPartitions(col("file"), col("row"));
    return rows.javaRDD()
        .zipWithIndex()
        .map(
            pair -> {
              Row r = pair._1();
              String where = r.getString(1) + " row " + r.getLong(2) + ": image.bytes";
              if (r.isNullAt(0)) {
                throw new IllegalArgumentException(where + " is null");
              }
              EvalImage image = decode(pair._2(), (byte[]) r.get(0), where);
              if (r.isNullAt(3)) {
                return image;
              }
              long label = r.getLong(3);
              if (label < 0 || label > 9) {
                throw new IllegalArgumentException(
                    r.getString(1) + " row " + r.getLong(2) + ": class " + label + " is not 0..9");
              }
              return new EvalImage(image.index(), (int) label, image.pixels());
            });
  }

  private record Named(long index, String name) implements java.io.Serializable {}

  private static List<Named> indexed(List<String> names) {
    List<Named> out = new ArrayList<>(names.size());
    for (int i = 0; i < names.size(); i++) {
      out.add(new Named(i, names.get(i)));
    }
    return out;
  }

  private static void checkSchema(StructType schema, Source source) {
    DataType image =
        Arrays.stream(schema.fields())
            .filter(f -> f.name().equals("image"))
            .map(StructField::dataType)
            .findFirst()
            .orElse(null);
    boolean ok =
        image instanceof StructType s
            && Arrays.stream(s.fields())
                .anyMatch(f -> f.name().equals("bytes") && f.dataType() instanceof BinaryType);
    if (!ok) {
      List<String> files = source.paths();
      throw new BadInputException(
          "--samples "
              + source.given()
              + ": "
              + new Path(files.get(0)).getName()
              + (files.size() > 1 ? " (and " + (files.size() - 1) + " more)" : "")
              + ": expected a column image struct<bytes: binary, path: string> holding PNGs, as"
              + " SampleJob writes; found "
              + schema.simpleString());
    }
  }

  /** A 32x32 8-bit grayscale PNG's pixels; anything else is refused, naming {@code where}. */
  static EvalImage decode(long index, byte[] png, String where) {
    PngImages.GrayImage img;
    try {
      img = PngImages.decode(png);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
    }
    if (img.width() != SIDE || img.height() != SIDE) {
      throw new IllegalArgumentException(
          where
              + ": expected a "
              + SIDE
              + "x"
              + SIDE
              + " image (as SampleJob writes), got "
              + img.width()
              + "x"
              + img.height());
    }
    return new EvalImage(index, -1, img.pixels());
  }

  /** The first {@code limit} images of an MNIST split (0: all), resized to 32x32, labelled. */
  static JavaRDD<EvalImage> mnist(
      SparkSession spark, String data, MnistSource.Split split, int partitions, long limit) {
    return MnistSource.load(spark, data, split, partitions, limit)
        .map(m -> new EvalImage(m.index(), m.label(), PillowResize.resize(m.pixels())));
  }

  /** {@code count} images of independent uniform pixels 0..255; image i depends on (seed, i). */
  static JavaRDD<EvalImage> noise(SparkSession spark, long count, long seed, int partitions) {
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    List<Long> indices = new ArrayList<>();
    for (long i = 0; i < count; i++) {
      indices.add(i);
    }
    return sc.parallelize(indices, partitions)
        .map(
            i -> {
              SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + i);
              byte[] pixels = new byte[SIDE * SIDE];
              for (int k = 0; k < pixels.length; k++) {
                pixels[k] = (byte) r.nextInt(256);
              }
              return new EvalImage(i, -1, pixels);
            });
  }
}
