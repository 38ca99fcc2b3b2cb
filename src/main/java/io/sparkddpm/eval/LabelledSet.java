package io.sparkddpm.eval;

import io.sparkddpm.base.BadInputException;
import io.sparkddpm.data.DataImage;
import io.sparkddpm.data.ImageSource;
import io.sparkddpm.data.MnistSource;
import io.sparkddpm.data.PixelRange;
import io.sparkddpm.data.Preprocess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.SparkSession;

/**
 * The labelled data set {@code --data} names, read through {@link ImageSource} as TrainJob reads it
 * (IDX, Parquet with an image column, an image folder with class sub-folders), in two parts: the
 * training part (the classifier's training images and the floor) and the test part (the reference
 * and the classifier's test images).
 *
 * <p>The parts are, in this order: the splits of a set whose files are named by split (IDX {@code
 * train-*} and {@code t10k-*}, Parquet {@code train-*} and {@code test-*} files or {@code train/}
 * and {@code test/} folders, as for MNIST); the {@code train/} and {@code test/} sub-folders of an
 * image folder; otherwise every {@value #HOLDOUT_EVERY}th image of the set (index % 5 == 4) is a
 * test image and the others are training images.
 */
final class LabelledSet {
  /** One image in this many is held out for testing when the set has no test split. */
  static final int HOLDOUT_EVERY = 5;

  private enum Layout {
    SPLITS,
    FOLDERS,
    HOLDOUT
  }

  private final String path;
  private final Layout layout;
  private final ImageSource.Columns columns;
  private final List<Path> files;
  private final Path root;

  private LabelledSet(
      String path, Layout layout, ImageSource.Columns columns, List<Path> files, Path root) {
    this.path = path;
    this.layout = layout;
    this.columns = columns;
    this.files = files;
    this.root = root;
  }

  /** Finds the parts of {@code path}; a missing or empty set is a usage error naming it. */
  static LabelledSet locate(Configuration conf, String path, ImageSource.Columns columns) {
    try {
      Path given = new Path(path);
      FileSystem fs = given.getFileSystem(conf);
      if (!fs.exists(given)) {
        throw new BadInputException("--data: " + path + " does not exist");
      }
      Path root = fs.makeQualified(given);
      List<Path> train = ImageSource.files(conf, root.toString(), MnistSource.Split.TRAIN);
      List<Path> test = ImageSource.files(conf, root.toString(), MnistSource.Split.TEST);
      if (!test.isEmpty() && !train.isEmpty() && !test.equals(train)) {
        return new LabelledSet(path, Layout.SPLITS, columns, concat(train, test), root);
      }
      Path trainDir = new Path(root, "train");
      Path testDir = new Path(root, "test");
      if (fs.isDirectory(trainDir) && fs.isDirectory(testDir)) {
        List<Path> both =
            concat(
                ImageSource.files(conf, trainDir.toString()),
                ImageSource.files(conf, testDir.toString()));
        return new LabelledSet(path, Layout.FOLDERS, columns, both, root);
      }
      List<Path> all = train;
      if (all.isEmpty()) {
        throw new BadInputException(
            "--data: "
                + path
                + " holds no images: looked for IDX pairs, Parquet files (*.parquet) and image"
                + " files (*.png, *.jpg, *.jpeg in class folders)");
      }
      return new LabelledSet(path, Layout.HOLDOUT, columns, all, root);
    } catch (IOException e) {
      throw new UncheckedIOException(path + ": " + e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      throw new BadInputException("--data: " + e.getMessage());
    }
  }

  private static List<Path> concat(List<Path> a, List<Path> b) {
    List<Path> out = new java.util.ArrayList<>(a);
    out.addAll(b);
    return out;
  }

  /**
   * Reads the first image of each part on the driver's plan and one task: a set the samples' shape
   * cannot be made from, a bad header or schema, or a set without labels is a usage error naming
   * what is wrong or missing.
   */
  void check(SparkSession spark, ImageSets.Shape shape) {
    if (isIdx() && shape.channels() != 1) {
      throw new BadInputException(
          "--data: "
              + path
              + " holds 1-channel (gray) IDX images, but the samples are "
              + shape
              + "; evaluate RGB samples against an RGB data set");
    }
    for (boolean test : new boolean[] {false, true}) {
      List<EvalImage> first = onData(() -> part(spark, test, shape, 1, 1).collect());
      if (first.isEmpty()) {
        throw new BadInputException(
            "--data: " + path + ": the " + describe(test) + " holds no images");
      }
      if (first.get(0).label() == DataImage.NO_LABEL) {
        throw new BadInputException("--data: " + path + " has no labels: " + missingLabels());
      }
    }
  }

  private boolean isIdx() {
    return files.stream().anyMatch(f -> f.getName().contains("idx3-ubyte"));
  }

  private String missingLabels() {
    if (files.stream().anyMatch(f -> f.getName().endsWith(".parquet"))) {
      return "its Parquet files have no column "
          + columns.label()
          + " (--label-column names the column of integer classes)";
    }
    return "its images are not in class sub-folders (imagefolder: <data>/<class>/<image>; a flat"
        + " folder is an unlabelled set)";
  }

  /** What the part is, for messages and metrics.json. */
  String describe(boolean test) {
    return switch (layout) {
      case SPLITS -> (test ? "test" : "training") + " split of " + path;
      case FOLDERS -> (test ? "test/" : "train/") + " folder of " + path;
      case HOLDOUT ->
          String.format(
              "%s images (index %% %d %s %d) of %s",
              test ? "held-out" : "training",
              HOLDOUT_EVERY,
              test ? "==" : "!=",
              HOLDOUT_EVERY - 1,
              path);
    };
  }

  /**
   * The first {@code limit} images (0: all) of the training or test part, in the samples' shape,
   * numbered 0.. within the part.
   */
  JavaRDD<EvalImage> part(
      SparkSession spark, boolean test, ImageSets.Shape shape, int partitions, long limit) {
    ImageSource.Target target = new ImageSource.Target(shape.channels(), shape.side());
    JavaRDD<DataImage> images =
        switch (layout) {
          case SPLITS ->
              ImageSource.load(
                  spark,
                  root.toString(),
                  test ? MnistSource.Split.TEST : MnistSource.Split.TRAIN,
                  columns,
                  target,
                  partitions,
                  limit);
          case FOLDERS ->
              ImageSource.load(
                  spark,
                  new Path(root, test ? "test" : "train").toString(),
                  columns,
                  target,
                  partitions,
                  limit);
          case HOLDOUT -> null;
        };
    int side = shape.side();
    if (images != null) {
      return images.map(d -> new EvalImage(d.index(), d.label(), centerCrop(d, side)));
    }
    // Only the images up to the last one needed are read: i test images lie below 5i.
    int k = HOLDOUT_EVERY;
    long bound = limit == 0 ? 0 : test ? limit * k : limit + limit / (k - 1) + k;
    return ImageSource.load(spark, root.toString(), columns, target, partitions, bound)
        .filter(d -> (d.index() % k == k - 1) == test)
        .zipWithIndex() // partitions are contiguous in index order: the rank within the part
        .filter(p -> limit == 0 || p._2() < limit)
        .map(p -> new EvalImage(p._2(), p._1().label(), centerCrop(p._1(), side)));
  }

  /**
   * The (C, side, side) pixels of an image ImageSource resized for a model of {@code side}: a
   * square one as it is, else its center crop with torchvision's offsets ({@code CenterCrop},
   * through {@link Preprocess#augment}), the deterministic crop of diffusers' {@code
   * --center_crop}.
   */
  static byte[] centerCrop(DataImage d, int side) {
    if (d.width() == side && d.height() == side) {
      return d.pixels();
    }
    Preprocess.Augment a =
        new Preprocess(side, true, false, PixelRange.ZERO_TO_ONE).augment(d.width(), d.height(), 0);
    byte[] out = new byte[d.channels() * side * side];
    for (int c = 0; c < d.channels(); c++) {
      for (int y = 0; y < side; y++) {
        int from = (c * d.height() + a.top() + y) * d.width() + a.left();
        System.arraycopy(d.pixels(), from, out, (c * side + y) * side, side);
      }
    }
    return out;
  }

  /** The record of this set for a classifier of {@code shape} and {@code classes}. */
  TrainingData record(Configuration conf, ImageSets.Shape shape, int classes) throws IOException {
    Map<String, Long> sizes = new LinkedHashMap<>();
    String prefix = root.toUri().getPath();
    for (Path f : files) {
      String p = f.toUri().getPath();
      String relative = p.startsWith(prefix + "/") ? p.substring(prefix.length() + 1) : f.getName();
      sizes.put(relative, f.getFileSystem(conf).getFileStatus(f).getLen());
    }
    return new TrainingData(path, sizes, shape.channels(), shape.side(), classes);
  }

  /**
   * Runs a Spark action over the set; an image or label the executors (or the driver's plan)
   * refused becomes a usage error naming the file, row and field.
   */
  static <T> T onData(java.util.function.Supplier<T> action) {
    try {
      return action.get();
    } catch (BadInputException e) {
      throw e;
    } catch (Exception e) { // Spark's SparkException is checked, but Scala throws it undeclared
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof IllegalArgumentException || t instanceof UncheckedIOException) {
          throw new BadInputException("--data: " + t.getMessage());
        }
      }
      throw e;
    }
  }
}
