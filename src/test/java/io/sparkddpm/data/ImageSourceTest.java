package io.sparkddpm.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkddpm.SparkSessionTestBase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Parquet and image-folder sources read by their tasks, decoded and converted as Pillow does. */
class ImageSourceTest extends SparkSessionTestBase {
  private static final ImageSource.Target RGB32 = new ImageSource.Target(3, 32);

  @TempDir Path work;

  @Test
  void rgbParquetInHuggingFaceLayoutIsReadRowByRowWithItsLabels() {
    Path dir = work.resolve("rgb");
    ImageFixtures.writeParquet(spark, dir, 40, 32, 2);
    List<DataImage> images =
        ImageSource.load(spark, dir.toString(), ImageSource.Columns.DEFAULT, RGB32, 3, 0).collect();
    assertEquals(40, images.size());
    for (int i = 0; i < images.size(); i++) {
      assertEquals(i, images.get(i).index(), "indices run 0..n-1 in partition order");
    }
    // Which source image landed at which index depends on Spark's writer: find it by content.
    int pngs = 0;
    for (DataImage img : images) {
      assertEquals(3, img.channels());
      int source = closestSource(img, 40);
      assertEquals(source % 3, img.label(), "label of source image " + source);
      if (source % 2 == 0) {
        assertArrayEquals(ImageFixtures.chw(ImageFixtures.rgb(source, 32)), img.pixels());
        pngs++;
      }
    }
    assertEquals(20, pngs, "every PNG decodes to its exact pixels");
  }

  @Test
  void parquetReadsEqualWhateverThePartitionCount() {
    Path dir = work.resolve("parts");
    ImageFixtures.writeParquet(spark, dir, 25, 32, 3);
    List<DataImage> one =
        ImageSource.load(spark, dir.toString(), ImageSource.Columns.DEFAULT, RGB32, 1, 0).collect();
    List<DataImage> four =
        ImageSource.load(spark, dir.toString(), ImageSource.Columns.DEFAULT, RGB32, 4, 0).collect();
    assertEquals(one, four);
    List<DataImage> limited =
        ImageSource.load(spark, dir.toString(), ImageSource.Columns.DEFAULT, RGB32, 4, 7).collect();
    assertEquals(one.subList(0, 7), limited);
  }

  @Test
  void plainBinaryColumnWithoutLabelsIsAnUnlabelledSetConvertedToGray() {
    StructType schema =
        new StructType().add("img", DataTypes.BinaryType).add("id", DataTypes.IntegerType);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      rows.add(RowFactory.create(ImageFixtures.encode(ImageFixtures.rgb(i, 32), "png"), i));
    }
    Path dir = work.resolve("plain");
    spark.createDataFrame(rows, schema).coalesce(1).write().parquet(dir.toString());
    List<DataImage> images =
        ImageSource.load(
                spark,
                dir.toString(),
                new ImageSource.Columns("img", "label"),
                new ImageSource.Target(1, 32),
                2,
                0)
            .collect();
    assertEquals(6, images.size());
    for (int i = 0; i < 6; i++) {
      DataImage img = images.get(i);
      assertEquals(DataImage.NO_LABEL, img.label());
      byte[] rgb = ImageFixtures.chw(ImageFixtures.rgb(i, 32));
      int p = 5 * 32 + 7;
      int expected = ImageDecoder.luma(rgb[p] & 0xFF, rgb[1024 + p] & 0xFF, rgb[2048 + p] & 0xFF);
      assertEquals(expected, img.pixels()[p] & 0xFF, "row " + i);
    }
  }

  @Test
  void classFoldersBecomeLabelsInSortedOrderAndAFlatFolderHasNone() throws Exception {
    Path dir = work.resolve("folder");
    ImageFixtures.writeFolder(dir, 12, 32);
    Files.writeString(dir.resolve("a").resolve("notes.txt"), "not an image");
    List<DataImage> images =
        ImageSource.load(spark, dir.toString(), ImageSource.Columns.DEFAULT, RGB32, 3, 0).collect();
    assertEquals(12, images.size());
    // Sorted by path: a/img000.png, a/img003.jpg, ... then b/, then c/.
    for (int k = 0; k < 12; k++) {
      int source = (k % 4) * 3 + k / 4;
      DataImage img = images.get(k);
      assertEquals(k, img.index());
      assertEquals(k / 4, img.label(), "image " + k);
      byte[] expected = ImageFixtures.chw(ImageFixtures.rgb(source, 32));
      if (source % 2 == 0) {
        assertArrayEquals(expected, img.pixels(), "PNG " + source);
      } else {
        assertTrue(meanAbsDiff(expected, img.pixels()) < 4, "JPEG " + source + " decodes close");
      }
    }
    Path flat = dir.resolve("b");
    List<DataImage> unlabelled =
        ImageSource.load(spark, flat.toString(), ImageSource.Columns.DEFAULT, RGB32, 2, 0)
            .collect();
    assertEquals(4, unlabelled.size());
    unlabelled.forEach(img -> assertEquals(DataImage.NO_LABEL, img.label()));
  }

  @Test
  void fileNamesOfTheFolderSourceFollowTheirClassFolders() throws Exception {
    Path dir = work.resolve("names");
    ImageFixtures.writeFolder(dir, 6, 32);
    List<String> names = new ArrayList<>();
    for (org.apache.hadoop.fs.Path p :
        ImageSource.files(spark.sparkContext().hadoopConfiguration(), dir.toString())) {
      names.add(p.getParent().getName() + "/" + p.getName());
    }
    assertEquals(
        List.of(
            "a/img000.png",
            "a/img003.jpg",
            "b/img001.jpg",
            "b/img004.png",
            "c/img002.png",
            "c/img005.jpg"),
        names);
  }

  /** The source image (0..n-1) nearest to {@code img}: exact for PNGs, close for JPEGs. */
  private static int closestSource(DataImage img, int n) {
    int best = -1;
    double bestDiff = Double.MAX_VALUE;
    for (int s = 0; s < n; s++) {
      double d = meanAbsDiff(ImageFixtures.chw(ImageFixtures.rgb(s, 32)), img.pixels());
      if (d < bestDiff) {
        bestDiff = d;
        best = s;
      }
    }
    assertTrue(bestDiff < 4, "no source image within 4 levels: " + bestDiff);
    return best;
  }

  private static double meanAbsDiff(byte[] a, byte[] b) {
    double sum = 0;
    for (int i = 0; i < a.length; i++) {
      sum += Math.abs((a[i] & 0xFF) - (b[i] & 0xFF));
    }
    return sum / a.length;
  }
}
