package io.sparkddpm.eval;

import static org.apache.spark.sql.functions.col;

import io.sparkddpm.base.BadInputException;
import io.sparkddpm.io.PngImages;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
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
 * The sample sets EvaluateJob scores, as RDDs of 8-bit images of the samples' shape (gray or RGB,
 * any square size): the samples (SampleJob's Parquet or a folder of PNGs) and uniform noise
 * (ceiling); the real images come from {@link LabelledSet}. Executors decode and check the sample
 * images; a bad one fails the job with a message naming its file (and row) and the field.
 */
final class ImageSets {
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

  /** The samples' shape: the first sample's, which every other must have. */
  record Shape(int channels, int side) implements java.io.Serializable {
    @Override
    public String toString() {
      return TrainingData.shape(channels, side);
    }
  }

  /**
   * The shape of the first sample (the first PNG file by name, or the first row of the first
   * Parquet file whose image is not null): 8-bit gray is 1 channel, 8-bit RGB 3.
   */
  static Shape shape(SparkSession spark, Source source) throws IOException {
    byte[] bytes;
    String where;
    if (source.kind().equals("png")) {
      Path first = new Path(source.paths().get(0));
      where = first.toString();
      try (var in = first.getFileSystem(spark.sparkContext().hadoopConfiguration()).open(first)) {
        bytes = in.readAllBytes();
      }
    } else {
      Dataset<Row> df = spark.read().parquet(source.paths().get(0));
      checkSchema(df.schema(), source);
      List<Row> first =
          df.select(col("image.bytes"))
              .where(col("image.bytes").isNotNull())
              .limit(1)
              .collectAsList();
      if (first.isEmpty()) {
        throw new BadInputException(
            "--samples " + source.given() + ": " + source.paths().get(0) + " holds no image");
      }
      bytes = (byte[]) first.get(0).get(0);
      where = source.paths().get(0) + " row 0: image.bytes";
    }
    BufferedImage img = read(bytes, where);
    int channels = img.getType() == BufferedImage.TYPE_BYTE_GRAY ? 1 : 3;
    if (img.getWidth() != img.getHeight()) {
      throw new BadInputException(
          "--samples "
              + source.given()
              + ": "
              + where
              + " is "
              + img.getWidth()
              + "x"
              + img.getHeight()
              + "; samples are square, as SampleJob writes them");
    }
    return new Shape(channels, img.getWidth());
  }

  /**
   * The samples as images of {@code shape}, numbered in (file, row) order; decoding happens on the
   * executors. A class column (a conditional model's samples) labels them ({@link #checkClasses}).
   */
  static JavaRDD<EvalImage> samples(
      SparkSession spark, Source source, int partitions, Shape shape) {
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
                return decode(f.index(), bytes, f.name(), shape);
              });
    }
    Dataset<Row> df = spark.read().parquet(source.paths().toArray(new String[0]));
    checkSchema(df.schema(), source);
    // A conditional model's samples carry the class they were asked for: their label here.
    boolean hasClass = Arrays.asList(df.schema().fieldNames()).contains("class");
    Dataset<Row> rows =
        df.select(
                col("image.bytes").as("png"),
                col("_metadata.file_path").as("file"),
                col("_metadata.row_index").as("row"),
                hasClass
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
              EvalImage image = decode(pair._2(), (byte[]) r.get(0), where, shape);
              if (r.isNullAt(3)) {
                return image;
              }
              long label = r.getLong(3);
              if (label < 0 || label > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(
                    r.getString(1) + " row " + r.getLong(2) + ": class " + label + " is negative");
              }
              return new EvalImage(image.index(), (int) label, image.pixels());
            });
  }

  /**
   * Checks that the samples' class column, if any, holds classes of the classifier ({@code 0 ..
   * classes-1}); the first that does not is named by file and row.
   */
  static void checkClasses(SparkSession spark, Source source, int classes) {
    if (!source.kind().equals("parquet")) {
      return;
    }
    Dataset<Row> df = spark.read().parquet(source.paths().toArray(new String[0]));
    if (!Arrays.asList(df.schema().fieldNames()).contains("class")) {
      return;
    }
    List<Row> bad =
        df.where(col("class").geq(classes))
            .select(col("_metadata.file_path"), col("_metadata.row_index"), col("class"))
            .orderBy(col("_metadata.file_path"), col("_metadata.row_index"))
            .limit(1)
            .collectAsList();
    if (!bad.isEmpty()) {
      Row r = bad.get(0);
      throw new BadInputException(
          String.format(
              "--samples %s: %s row %d: class %s is not 0..%d, the classes of the classifier"
                  + " (and of --data)",
              source.given(), r.getString(0), r.getLong(1), r.get(2), classes - 1));
    }
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

  private static BufferedImage read(byte[] bytes, String where) {
    try {
      ImageIO.setUseCache(false); // decode in memory, no temp files on the executor
      BufferedImage img = ImageIO.read(new ByteArrayInputStream(bytes));
      if (img != null) {
        return img;
      }
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException(where + ": not a decodable PNG (" + e + ")", e);
    }
    throw new IllegalArgumentException(where + ": not a decodable PNG");
  }

  /**
   * The pixels of a PNG of {@code shape} (8-bit gray, or 8-bit RGB without alpha); anything else is
   * refused, naming {@code where}.
   */
  static EvalImage decode(long index, byte[] png, String where, Shape shape) {
    int side = shape.side();
    byte[] pixels;
    int width;
    int height;
    if (shape.channels() == 1) {
      PngImages.GrayImage img;
      try {
        img = PngImages.decode(png);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
      }
      width = img.width();
      height = img.height();
      pixels = img.pixels();
    } else {
      BufferedImage img = read(png, where);
      if (img.getType() != BufferedImage.TYPE_3BYTE_BGR) {
        throw new IllegalArgumentException(
            where
                + ": expected an 8-bit RGB PNG without alpha (as the first sample), got"
                + " BufferedImage type "
                + img.getType()
                + " with "
                + img.getColorModel().getNumComponents()
                + " components");
      }
      width = img.getWidth();
      height = img.getHeight();
      pixels = new byte[3 * width * height];
      int[] band = new int[width * height];
      for (int c = 0; c < 3; c++) {
        img.getRaster().getSamples(0, 0, width, height, c, band); // band 0 is red
        for (int i = 0; i < band.length; i++) {
          pixels[c * band.length + i] = (byte) band[i];
        }
      }
    }
    if (width != side || height != side) {
      throw new IllegalArgumentException(
          where
              + ": expected a "
              + side
              + "x"
              + side
              + " image (as SampleJob writes), got "
              + width
              + "x"
              + height);
    }
    return new EvalImage(index, -1, pixels);
  }

  /** {@code count} images of independent uniform pixels 0..255; image i depends on (seed, i). */
  static JavaRDD<EvalImage> noise(
      SparkSession spark, long count, long seed, int partitions, Shape shape) {
    int bytes = shape.channels() * shape.side() * shape.side();
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    List<Long> indices = new ArrayList<>();
    for (long i = 0; i < count; i++) {
      indices.add(i);
    }
    return sc.parallelize(indices, partitions)
        .map(
            i -> {
              SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + i);
              byte[] pixels = new byte[bytes];
              for (int k = 0; k < pixels.length; k++) {
                pixels[k] = (byte) r.nextInt(256);
              }
              return new EvalImage(i, -1, pixels);
            });
  }
}
