package io.sparkddpm.eval;

import io.sparkddpm.data.MnistImage;
import io.sparkddpm.data.MnistSource;
import io.sparkddpm.data.PillowResize;
import java.util.List;
import org.apache.spark.sql.SparkSession;

/**
 * A split of MNIST on the driver, resized to 32x32 exactly as training resizes it: the classifier's
 * training and test data.
 *
 * @param pixels {@code count * 1024} 8-bit pixels, image after image
 * @param labels the digits
 */
record LabelledImages(byte[] pixels, int[] labels) {
  static final int SIDE = PillowResize.OUT;
  static final int PIXELS = SIDE * SIDE;

  int count() {
    return labels.length;
  }

  /** The first {@code limit} images of a split (0: all), read through {@link MnistSource}. */
  static LabelledImages load(
      SparkSession spark, String data, MnistSource.Split split, int partitions, long limit) {
    List<MnistImage> images =
        MnistSource.load(spark, data, split, partitions, limit)
            .sortBy(MnistImage::index, true, partitions)
            .collect();
    byte[] pixels = new byte[images.size() * PIXELS];
    int[] labels = new int[images.size()];
    for (int i = 0; i < labels.length; i++) {
      MnistImage m = images.get(i);
      System.arraycopy(PillowResize.resize(m.pixels()), 0, pixels, i * PIXELS, PIXELS);
      labels[i] = m.label();
    }
    return new LabelledImages(pixels, labels);
  }
}
