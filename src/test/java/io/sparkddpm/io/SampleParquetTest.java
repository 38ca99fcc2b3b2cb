package io.sparkddpm.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.sparkddpm.SparkSessionTestBase;
import io.sparkddpm.io.PngImages.GrayImage;
import io.sparkddpm.io.SampleParquet.SampleRow;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SampleParquetTest extends SparkSessionTestBase {
  private static final int SIDE = 32;

  @TempDir java.nio.file.Path tmp;

  private static List<SampleRow> fiveRows() {
    List<SampleRow> rows = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      byte[] pixels = new byte[SIDE * SIDE];
      for (int p = 0; p < pixels.length; p++) {
        pixels[p] = (byte) ((p + 40 * i) % 256);
      }
      rows.add(
          new SampleRow(
              PngImages.encode(SIDE, SIDE, pixels),
              String.format("sample-%05d.png", i),
              i,
              1000L + i,
              i % 2 == 0 ? "ddpm" : "ddim",
              i % 2 == 0 ? 1000 : 50,
              "hdfs:///ckpt/step-000500"));
    }
    return rows;
  }

  private Path writeFive() throws IOException {
    Path file = new Path(tmp.toUri().toString(), "part-00000.parquet");
    SampleParquet.write(new Configuration(), file, fiveRows());
    return file;
  }

  @Test
  void ownReaderReturnsTheWrittenRows() throws IOException {
    Path file = writeFive();

    assertEquals(fiveRows(), SampleParquet.read(new Configuration(), file));
  }

  @Test
  void sparkReadsTheDatasetsImageLayout() throws IOException {
    writeFive();

    Dataset<Row> samples = spark.read().parquet(tmp.toUri().toString());

    StructType image =
        new StructType().add("bytes", DataTypes.BinaryType).add("path", DataTypes.StringType);
    StructType expected =
        new StructType()
            .add("image", image)
            .add("index", DataTypes.LongType)
            .add("seed", DataTypes.LongType)
            .add("scheduler", DataTypes.StringType)
            .add("steps", DataTypes.IntegerType)
            .add("checkpoint", DataTypes.StringType)
            .add("class", DataTypes.LongType)
            .add("guidance_scale", DataTypes.DoubleType);
    assertEquals(expected, samples.schema());

    List<Row> rows = samples.orderBy("index").collectAsList();
    List<SampleRow> written = fiveRows();
    assertEquals(written.size(), rows.size());
    for (int i = 0; i < rows.size(); i++) {
      Row row = rows.get(i);
      SampleRow want = written.get(i);
      byte[] png = row.getStruct(0).getAs("bytes");
      assertArrayEquals(want.png(), png);
      assertEquals(want.path(), row.getStruct(0).getAs("path"));
      assertEquals(want.index(), row.<Long>getAs("index"));
      assertEquals(want.seed(), row.<Long>getAs("seed"));
      assertEquals(want.scheduler(), row.getAs("scheduler"));
      assertEquals(want.steps(), row.<Integer>getAs("steps"));
      assertEquals(want.checkpoint(), row.getAs("checkpoint"));
      GrayImage decoded = PngImages.decode(png);
      assertEquals(SIDE, decoded.width());
      assertEquals(SIDE, decoded.height());
    }
  }

  @Test
  void footerNamesTheImageFeatureForDatasets() throws IOException {
    Path file = writeFive();

    Map<String, String> footer;
    try (ParquetFileReader reader =
        ParquetFileReader.open(HadoopInputFile.fromPath(file, new Configuration()))) {
      footer = reader.getFooter().getFileMetaData().getKeyValueMetaData();
    }

    JsonObject features =
        JsonParser.parseString(footer.get(SampleParquet.HUGGINGFACE_KEY))
            .getAsJsonObject()
            .getAsJsonObject("info")
            .getAsJsonObject("features");
    assertEquals("Image", features.getAsJsonObject("image").get("_type").getAsString());
    assertEquals("int32", features.getAsJsonObject("steps").get("dtype").getAsString());
    assertEquals(
        List.of(
            "image",
            "index",
            "seed",
            "scheduler",
            "steps",
            "checkpoint",
            "class",
            "guidance_scale"),
        new ArrayList<>(features.keySet()));
  }

  @Test
  void writingOverAnExistingFileFailsAndKeepsIt() throws IOException {
    Path file = writeFive();
    List<SampleRow> other = fiveRows().subList(0, 1);

    assertThrows(
        FileAlreadyExistsException.class,
        () -> SampleParquet.write(new Configuration(), file, other));

    assertEquals(fiveRows(), SampleParquet.read(new Configuration(), file));
  }

  @Test
  void nullStringsRoundTrip() throws IOException {
    Path file = new Path(tmp.toUri().toString(), "nulls.parquet");
    SampleRow row =
        new SampleRow(PngImages.encode(1, 1, new byte[] {7}), null, 0, 0, null, 1, null);

    SampleParquet.write(new Configuration(), file, List.of(row));

    assertEquals(List.of(row), SampleParquet.read(new Configuration(), file));
  }
}
