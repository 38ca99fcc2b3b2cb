package io.sparkddpm.data;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.util.HadoopOutputFile;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Test images made in the test itself: seeded random RGB pixels encoded with javax.imageio as PNG
 * (lossless) or JPEG, written as Parquet in Hugging Face's layout with Spark, or as files in class
 * folders.
 */
public final class ImageFixtures {
  private ImageFixtures() {}

  /** A {@code side}x{@code side} RGB image of smooth seeded colours (JPEG keeps them close). */
  public static BufferedImage rgb(long seed, int side) {
    SplittableRandom r = new SplittableRandom(seed);
    int[] base = {r.nextInt(200), r.nextInt(200), r.nextInt(200)};
    BufferedImage img = new BufferedImage(side, side, BufferedImage.TYPE_3BYTE_BGR);
    for (int y = 0; y < side; y++) {
      for (int x = 0; x < side; x++) {
        int red = base[0] + (x * 55) / side;
        int green = base[1] + (y * 55) / side;
        int blue = base[2] + r.nextInt(8);
        img.setRGB(x, y, (red << 16) | (green << 8) | blue);
      }
    }
    return img;
  }

  /** The image's pixels as (3, H, W) bytes. */
  public static byte[] chw(BufferedImage img) {
    int h = img.getHeight();
    int w = img.getWidth();
    byte[] out = new byte[3 * h * w];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int argb = img.getRGB(x, y);
        out[y * w + x] = (byte) (argb >> 16);
        out[h * w + y * w + x] = (byte) (argb >> 8);
        out[2 * h * w + y * w + x] = (byte) argb;
      }
    }
    return out;
  }

  /** {@code img} encoded as {@code format} ("png" or "jpeg"). */
  public static byte[] encode(BufferedImage img, String format) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      if (!ImageIO.write(img, format, out)) {
        throw new IllegalStateException("no ImageIO writer for " + format);
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Image {@code i} of a generated set: PNG for even i, JPEG for odd i. */
  public static byte[] encoded(int i, int side) {
    return encode(rgb(i, side), i % 2 == 0 ? "png" : "jpeg");
  }

  /** Hugging Face's image column: struct&lt;bytes: binary, path: string&gt;, and an int label. */
  public static final StructType HF_SCHEMA =
      new StructType()
          .add(
              "image",
              new StructType().add("bytes", DataTypes.BinaryType).add("path", DataTypes.StringType))
          .add("label", DataTypes.LongType);

  /**
   * Writes {@code n} images (label = i % 3) as Parquet in {@code files} files with small row
   * groups, so a slice of rows spans row groups and files.
   */
  public static void writeParquet(SparkSession spark, Path dir, int n, int side, int files) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      rows.add(RowFactory.create(RowFactory.create(encoded(i, side), i + ".png"), (long) (i % 3)));
    }
    spark
        .createDataFrame(rows, HF_SCHEMA)
        .coalesce(1)
        .repartition(files)
        .write()
        .option("parquet.block.size", 4096)
        .parquet(dir.toString());
  }

  /**
   * Writes one Parquet file of {@code images} (PNG or JPEG bytes) and their {@code labels} in
   * Hugging Face's layout with parquet-hadoop's example writer, without a Spark session (for the
   * ITs, whose JVM runs none).
   */
  public static void writeParquetFile(Path file, List<byte[]> images, List<Long> labels)
      throws IOException {
    MessageType schema =
        MessageTypeParser.parseMessageType(
            "message hf { optional group image { optional binary bytes; optional binary path"
                + " (UTF8); } optional int64 label; }");
    try (ParquetWriter<Group> writer =
        ExampleParquetWriter.builder(
                HadoopOutputFile.fromPath(
                    new org.apache.hadoop.fs.Path(file.toUri()),
                    new org.apache.hadoop.conf.Configuration()))
            .withType(schema)
            .build()) {
      SimpleGroupFactory groups = new SimpleGroupFactory(schema);
      for (int i = 0; i < images.size(); i++) {
        Group row = groups.newGroup();
        row.addGroup("image")
            .append("bytes", Binary.fromConstantByteArray(images.get(i)))
            .append("path", i + ".png");
        row.append("label", labels.get(i));
        writer.write(row);
      }
    }
  }

  /** Writes {@code n} images into class folders a/, b/, c/ (image i in folder i % 3). */
  public static void writeFolder(Path dir, int n, int side) throws IOException {
    for (int i = 0; i < n; i++) {
      Path cls = dir.resolve(String.valueOf((char) ('a' + i % 3)));
      Files.createDirectories(cls);
      String name = String.format("img%03d.%s", i, i % 2 == 0 ? "png" : "jpg");
      Files.write(cls.resolve(name), encoded(i, side));
    }
  }
}
