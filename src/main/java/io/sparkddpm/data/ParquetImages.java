package io.sparkddpm.data;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;

/**
 * Parquet files with an image column, planned on the driver from their footers and read by each
 * task from its own rows.
 *
 * <p>The image column is Hugging Face's {@code struct<bytes: binary, path: string>} or plain
 * binary, holding PNG or JPEG bytes; the label column, when there is one, an integer. The driver
 * reads only the footers (row counts, schema); a task opens its files, reads the row groups that
 * overlap its rows with only the two columns projected, and decodes its images. {@code index} runs
 * over (file in the given order, row within file).
 */
final class ParquetImages {
  private ParquetImages() {}

  /** Rows {@code [from, to)} of one file, the first being image {@code firstIndex}. */
  record Piece(String file, long from, long to, long firstIndex) implements Serializable {
    private static final long serialVersionUID = 1L;
  }

  /** What the columns hold, as the driver found it in the footers. */
  record Columns(String image, boolean imageIsStruct, String label) implements Serializable {
    private static final long serialVersionUID = 1L;

    boolean labelled() {
      return !label.isEmpty();
    }
  }

  /**
   * Checks the files' schemas and counts their rows from the footers.
   *
   * @param labelColumn the label column; when it is {@code "label"} and absent, the set is
   *     unlabelled, any other absent name is an error
   * @return the columns to read and each file's row count
   */
  static Plan plan(Configuration conf, List<Path> files, String imageColumn, String labelColumn) {
    List<Long> rows = new ArrayList<>();
    Columns columns = null;
    for (Path file : files) {
      MessageType schema;
      long count = 0;
      try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(file, conf))) {
        schema = r.getFooter().getFileMetaData().getSchema();
        for (BlockMetaData b : r.getFooter().getBlocks()) {
          count += b.getRowCount();
        }
      } catch (IOException | RuntimeException e) {
        throw new IllegalArgumentException(
            file + ": not a readable Parquet file (" + e.getMessage() + ")", e);
      }
      Columns c = columns(file, schema, imageColumn, labelColumn);
      if (columns != null && columns.labelled() != c.labelled()) {
        throw new IllegalArgumentException(
            file
                + ": "
                + (c.labelled() ? "has" : "has no")
                + " column "
                + labelColumn
                + " but "
                + files.get(0)
                + (c.labelled() ? " has none" : " has one"));
      }
      columns = columns == null ? c : columns;
      rows.add(count);
    }
    return new Plan(files, rows, columns);
  }

  /** The files, their row counts and the columns, as {@link #plan} found them. */
  record Plan(List<Path> files, List<Long> rows, Columns columns) {
    long total() {
      return rows.stream().mapToLong(Long::longValue).sum();
    }

    /** Images {@code [from, to)} of the whole set as pieces of files. */
    List<Piece> pieces(long from, long to) {
      List<Piece> out = new ArrayList<>();
      long start = 0;
      for (int f = 0; f < files.size(); f++) {
        long end = start + rows.get(f);
        long a = Math.max(from, start);
        long b = Math.min(to, end);
        if (a < b) {
          out.add(new Piece(files.get(f).toString(), a - start, b - start, a));
        }
        start = end;
      }
      return out;
    }
  }

  private static Columns columns(
      Path file, MessageType schema, String imageColumn, String labelColumn) {
    if (!schema.containsField(imageColumn)) {
      throw new IllegalArgumentException(
          file + ": no column " + imageColumn + " (--image-column); columns: " + names(schema));
    }
    Type image = schema.getType(imageColumn);
    boolean struct;
    if (image.isPrimitive()) {
      requireBinary(file, imageColumn, image.asPrimitiveType());
      struct = false;
    } else {
      GroupType g = image.asGroupType();
      if (!g.containsField("bytes")) {
        throw new IllegalArgumentException(
            file + ": column " + imageColumn + " is a struct without a field bytes: " + g);
      }
      Type bytes = g.getType("bytes");
      if (!bytes.isPrimitive()) {
        throw new IllegalArgumentException(
            file + ": " + imageColumn + ".bytes is a group, not binary (PNG or JPEG bytes)");
      }
      requireBinary(file, imageColumn + ".bytes", bytes.asPrimitiveType());
      struct = true;
    }
    if (!schema.containsField(labelColumn)) {
      if (!labelColumn.equals("label")) {
        throw new IllegalArgumentException(
            file + ": no column " + labelColumn + " (--label-column); columns: " + names(schema));
      }
      return new Columns(imageColumn, struct, "");
    }
    Type label = schema.getType(labelColumn);
    PrimitiveTypeName t =
        label.isPrimitive() ? label.asPrimitiveType().getPrimitiveTypeName() : null;
    if ((t != PrimitiveTypeName.INT32 && t != PrimitiveTypeName.INT64)
        || label.getLogicalTypeAnnotation() != null
            && !label.getLogicalTypeAnnotation().toString().startsWith("INTEGER")) {
      throw new IllegalArgumentException(
          file + ": column " + labelColumn + " is " + describe(label) + ", not an integer");
    }
    return new Columns(imageColumn, struct, labelColumn);
  }

  private static void requireBinary(Path file, String field, PrimitiveType type) {
    if (type.getPrimitiveTypeName() != PrimitiveTypeName.BINARY
        || type.getLogicalTypeAnnotation() != null) {
      throw new IllegalArgumentException(
          file + ": " + field + " is " + describe(type) + ", not binary (PNG or JPEG bytes)");
    }
  }

  private static String describe(Type t) {
    if (!t.isPrimitive()) {
      return "a group";
    }
    var logical = t.getLogicalTypeAnnotation();
    String name = t.asPrimitiveType().getPrimitiveTypeName().name().toLowerCase();
    return logical == null ? name : logical.toString().toLowerCase();
  }

  private static String names(MessageType schema) {
    List<String> out = new ArrayList<>();
    schema.getFields().forEach(f -> out.add(f.getName()));
    return String.join(", ", out);
  }

  /** Reads and decodes the rows of {@code piece}, in row order. */
  static List<DataImage> read(
      Configuration conf, Piece piece, Columns columns, ImageSource.Target target) {
    Path file = new Path(piece.file());
    List<DataImage> out = new ArrayList<>((int) (piece.to() - piece.from()));
    try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(file, conf))) {
      MessageType schema = r.getFooter().getFileMetaData().getSchema();
      List<Type> wanted = new ArrayList<>(List.of(schema.getType(columns.image())));
      if (columns.labelled()) {
        wanted.add(schema.getType(columns.label()));
      }
      MessageType projection = new MessageType(schema.getName(), wanted);
      r.setRequestedSchema(projection);
      ColumnIOFactory io = new ColumnIOFactory();
      long start = 0;
      List<BlockMetaData> blocks = r.getFooter().getBlocks();
      for (int b = 0; b < blocks.size() && start < piece.to(); b++) {
        long end = start + blocks.get(b).getRowCount();
        if (end > piece.from()) {
          PageReadStore pages = r.readRowGroup(b);
          RecordReader<Group> rows =
              io.getColumnIO(projection, schema)
                  .getRecordReader(pages, new GroupRecordConverter(projection));
          for (long row = start; row < end; row++) {
            Group g = rows.read();
            if (row >= piece.from() && row < piece.to()) {
              out.add(
                  decode(g, file, row, piece.firstIndex() + row - piece.from(), columns, target));
            }
          }
        }
        start = end;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(file + ": " + e.getMessage(), e);
    }
    return out;
  }

  private static DataImage decode(
      Group g, Path file, long row, long index, Columns c, ImageSource.Target target) {
    String where = file + ": row " + row;
    int label = DataImage.NO_LABEL;
    if (c.labelled()) {
      if (g.getFieldRepetitionCount(c.label()) == 0) {
        throw new IllegalArgumentException(where + ": " + c.label() + " is null");
      }
      PrimitiveTypeName t = g.getType().getType(c.label()).asPrimitiveType().getPrimitiveTypeName();
      long v = t == PrimitiveTypeName.INT64 ? g.getLong(c.label(), 0) : g.getInteger(c.label(), 0);
      if (v < 0 || v > Integer.MAX_VALUE) {
        throw new IllegalArgumentException(
            where + ": " + c.label() + " " + v + " is not a class index (0 or more)");
      }
      label = (int) v;
    }
    String field = c.imageIsStruct() ? c.image() + ".bytes" : c.image();
    byte[] bytes = null;
    if (g.getFieldRepetitionCount(c.image()) > 0) {
      if (!c.imageIsStruct()) {
        bytes = g.getBinary(c.image(), 0).getBytes();
      } else {
        Group image = g.getGroup(c.image(), 0);
        if (image.getFieldRepetitionCount("bytes") > 0) {
          bytes = image.getBinary("bytes", 0).getBytes();
        }
      }
    }
    if (bytes == null) {
      throw new IllegalArgumentException(where + ": " + field + " is null");
    }
    return ImageSource.fit(bytes, index, label, target, where + ": " + field);
  }
}
