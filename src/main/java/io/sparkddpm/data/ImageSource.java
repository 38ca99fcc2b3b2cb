package io.sparkddpm.data;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.SerializableConfiguration;

/**
 * A training set of images from any Hadoop path, as an RDD whose partitions each read and decode
 * their own rows.
 *
 * <p>{@code path} is looked at in this order: a folder with an IDX pair ({@code train-images-idx3-
 * ubyte[.gz]} and {@code train-labels-idx1-ubyte[.gz]}, see {@link MnistSource}); Parquet (a {@code
 * .parquet} file, or a folder of them, the train split where files are named by split; see {@link
 * ParquetImages}); a folder of PNG and JPEG files ({@link ImageFolder}). The driver plans from
 * headers, footers and file listings; no pixel is read before the tasks run, and a lost partition
 * is rebuilt from the files.
 */
public final class ImageSource {
  private ImageSource() {}

  /**
   * The images the model takes: {@code channels} (1 = L, 3 = RGB), resized so that the shorter side
   * is {@code side} (the crop to {@code side}x{@code side} comes later, per epoch).
   */
  public record Target(int channels, int side) implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Validates the fields. */
    public Target {
      if (channels != 1 && channels != 3) {
        throw new IllegalArgumentException(
            "the model's in_channels must be 1 (gray) or 3 (RGB) to train on images, got "
                + channels);
      }
      if (side < 1) {
        throw new IllegalArgumentException("side must be positive, got " + side);
      }
    }
  }

  /** The columns of a Parquet source; {@code label} "label" may be absent (an unlabelled set). */
  public record Columns(String image, String label) {
    /** Hugging Face's names: {@code image} and {@code label}. */
    public static final Columns DEFAULT = new Columns("image", "label");
  }

  /**
   * The first {@code limit} images ({@code 0}: all) of {@code path} in {@code partitions}
   * partitions, each image converted to {@code target}'s channels and resized to its side.
   *
   * @throws IllegalArgumentException naming the file and field when the driver finds the data
   *     unusable; a task that finds a bad image throws one naming its file, row and field
   */
  public static JavaRDD<DataImage> load(
      SparkSession spark, String path, Columns columns, Target target, int partitions, long limit) {
    return load(spark, path, MnistSource.Split.TRAIN, columns, target, partitions, limit);
  }

  /**
   * As {@link #load(SparkSession, String, Columns, Target, int, long)}, for {@code split} of a set
   * whose files are named by split (IDX {@code t10k-*}, Parquet {@code test-*.parquet} or {@code
   * test/}, see {@link MnistSource}); a set without such names is read whole for either split.
   */
  public static JavaRDD<DataImage> load(
      SparkSession spark,
      String path,
      MnistSource.Split split,
      Columns columns,
      Target target,
      int partitions,
      long limit) {
    if (partitions < 1 || limit < 0) {
      throw new IllegalArgumentException("partitions >= 1 and limit >= 0 required");
    }
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    try {
      Path root = new Path(path);
      FileSystem fs = root.getFileSystem(conf);
      root = fs.makeQualified(root);
      List<Path> files = MnistSource.files(conf, root.toString(), split);
      if (isIdx(files)) {
        if (target.channels() != 1) {
          throw new IllegalArgumentException(
              path
                  + " holds 1-channel (gray) IDX images but the model (--model-config) has"
                  + " in_channels "
                  + target.channels());
        }
        return MnistSource.load(spark, root.toString(), split, partitions, limit)
            .map(m -> fit(m, target));
      }
      Broadcast<SerializableConfiguration> hadoop =
          sc.broadcast(new SerializableConfiguration(conf));
      if (!files.isEmpty()) {
        ParquetImages.Plan plan = ParquetImages.plan(conf, files, columns.image(), columns.label());
        long n = cut(plan.total(), limit);
        List<List<ParquetImages.Piece>> slices = new ArrayList<>();
        for (int i = 0; i < partitions; i++) {
          slices.add(plan.pieces(i * n / partitions, (i + 1) * n / partitions));
        }
        ParquetImages.Columns cols = plan.columns();
        return sc.parallelize(slices, partitions)
            .flatMap(
                pieces -> {
                  List<DataImage> out = new ArrayList<>();
                  for (ParquetImages.Piece p : pieces) {
                    out.addAll(ParquetImages.read(hadoop.value().value(), p, cols, target));
                  }
                  return out.iterator();
                });
      }
      List<ImageFolder.Entry> entries =
          fs.getFileStatus(root).isDirectory() ? ImageFolder.list(fs, root) : List.of();
      if (entries.isEmpty()) {
        throw new IllegalArgumentException(
            "no training images at "
                + path
                + ": looked for an IDX pair (train-images-idx3-ubyte[.gz],"
                + " train-labels-idx1-ubyte[.gz]), Parquet files (*.parquet) and image files"
                + " (*.png, *.jpg, *.jpeg, flat or in class folders)");
      }
      long n = cut(entries.size(), limit);
      List<FolderSlice> slices = new ArrayList<>();
      for (int i = 0; i < partitions; i++) {
        int from = (int) (i * n / partitions);
        int to = (int) ((i + 1) * n / partitions);
        slices.add(new FolderSlice(new ArrayList<>(entries.subList(from, to)), from));
      }
      return sc.parallelize(slices, partitions)
          .flatMap(
              s ->
                  ImageFolder.read(hadoop.value().value(), s.entries(), s.first(), target)
                      .iterator());
    } catch (IOException e) {
      throw new UncheckedIOException(path + ": " + e.getMessage(), e);
    }
  }

  /** The files {@link #load} reads for {@code path}, in the order read (for fingerprints). */
  public static List<Path> files(Configuration conf, String path) throws IOException {
    return files(conf, path, MnistSource.Split.TRAIN);
  }

  /** The files {@link #load} reads for {@code split} of {@code path}, in the order read. */
  public static List<Path> files(Configuration conf, String path, MnistSource.Split split)
      throws IOException {
    List<Path> files = MnistSource.files(conf, path, split);
    if (!files.isEmpty()) {
      return files;
    }
    Path root = new Path(path);
    FileSystem fs = root.getFileSystem(conf);
    List<Path> out = new ArrayList<>();
    if (fs.getFileStatus(root).isDirectory()) {
      ImageFolder.list(fs, fs.makeQualified(root)).forEach(e -> out.add(new Path(e.file())));
    }
    return out;
  }

  private record FolderSlice(List<ImageFolder.Entry> entries, long first) implements Serializable {
    private static final long serialVersionUID = 1L;
  }

  private static boolean isIdx(List<Path> files) {
    return files.size() == 2 && files.get(0).getName().contains("idx3-ubyte");
  }

  private static long cut(long total, long limit) {
    return limit > 0 ? Math.min(limit, total) : total;
  }

  // ---- preprocessing, stage 1 ------------------------------------------------------------------
  // A task resizes each image once, as it reads it: the shorter side to the target's side with
  // Pillow's bilinear filter (Preprocess#resize, torchvision's Resize(N) on a PIL image). The crop
  // to NxN and the flip depend on the epoch and are applied when a batch reads the image (Shard).

  /** An IDX image resized for the model (28x28 stays as it is for a 28 model). */
  static DataImage fit(MnistImage m, Target target) {
    return resized(DataImage.of(m), target);
  }

  /** Decodes {@code bytes} (named {@code where} in messages) and resizes it for the model. */
  static DataImage fit(byte[] bytes, long index, int label, Target target, String where) {
    ImageDecoder.Decoded d = ImageDecoder.decode(bytes, target.channels(), where);
    return resized(
        new DataImage(index, label, target.channels(), d.height(), d.width(), d.pixels()), target);
  }

  /** {@code image} with its shorter side resized to {@code target.side()}, Pillow-exact. */
  public static DataImage resized(DataImage image, Target target) {
    // Stage 1 depends on the resolution only; the crop and flip flags do not matter here.
    Preprocess resize = new Preprocess(target.side(), true, false, PixelRange.MINUS_ONE_TO_ONE);
    int[] size = resize.resizedSize(image.width(), image.height());
    if (size[0] == image.width() && size[1] == image.height()) {
      return image; // Pillow does not resample an axis whose size is kept
    }
    DecodedImage out = resize.resize(DecodedImage.ofChw(image));
    return new DataImage(
        image.index(), image.label(), out.channels(), out.height(), out.width(), out.chw());
  }
}
