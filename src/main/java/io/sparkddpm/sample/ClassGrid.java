package io.sparkddpm.sample;

import io.sparkddpm.io.PngImages;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The grid of a class-conditional sample set: one row per class asked for (in the order of {@code
 * --classes}), holding that class's images in index order; a row with fewer images than the longest
 * ends in black cells.
 */
final class ClassGrid {
  private ClassGrid() {}

  /** The rows of {@code pngs} (index to PNG) under round-robin {@code classes}, class by class. */
  static Map<Integer, List<byte[]>> rows(TreeMap<Long, byte[]> pngs, int[] classes) {
    Map<Integer, List<byte[]>> rows = new LinkedHashMap<>();
    for (int c : classes) {
      rows.putIfAbsent(c, new ArrayList<>());
    }
    pngs.forEach((index, png) -> rows.get(Guidance.classOf(classes, index)).add(png));
    rows.values().removeIf(List::isEmpty);
    return rows;
  }

  /** The grid as an 8-bit PNG (gray or RGB, by {@code channels}) of {@code side}-pixel images. */
  static byte[] png(TreeMap<Long, byte[]> pngs, int[] classes, int channels, int side) {
    Map<Integer, List<byte[]>> rows = rows(pngs, classes);
    int columns = rows.values().stream().mapToInt(List::size).max().orElse(1);
    List<byte[]> cells = new ArrayList<>();
    for (List<byte[]> row : rows.values()) {
      for (int i = 0; i < columns; i++) {
        cells.add(
            i < row.size()
                ? PngImages.decodePlanar(row.get(i), channels)
                : new byte[channels * side * side]);
      }
    }
    return PngImages.grid(cells, channels, side, columns, 2);
  }
}
