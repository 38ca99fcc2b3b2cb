package io.sparkddpm.eval;

import io.sparkddpm.io.Charts;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.data.category.DefaultCategoryDataset;

/**
 * evaluation.png: on top, the predicted-class histogram of the samples beside the floor's and the
 * ceiling's (a JFreeChart bar chart); below it, one row per predicted class with the first samples
 * the classifier put in that class, so a reader sees what each bar is made of.
 */
final class EvaluationFigure {
  /** Least width; wider when the rows of samples need it. */
  static final int WIDTH = 960;

  static final int CHART_HEIGHT = 380;
  static final int CELL = 64; // each sample drawn at 64x64 (32x32 ones at twice their size)
  static final int ROW_HEIGHT = CELL + 6;
  static final int LABEL_WIDTH = 150;

  private EvaluationFigure() {}

  /**
   * The figure as PNG bytes; {@code examples} holds each predicted class's first samples, (C, S, S)
   * pixels of {@code channels} and {@code side}.
   */
  static byte[] render(
      EvaluateJob.Result r,
      List<TreeMap<Long, byte[]>> examples,
      String title,
      int channels,
      int side) {
    int classes = r.samples().histogram().length;
    int height = CHART_HEIGHT + 30 + classes * ROW_HEIGHT + 10;
    int perRow = examples.stream().mapToInt(TreeMap::size).max().orElse(0);
    int width = Math.max(WIDTH, LABEL_WIDTH + perRow * (CELL + 4) + 6);
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    try {
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, width, height);
      histogram(r, title).draw(g, new Rectangle2D.Double(0, 0, width, CHART_HEIGHT));
      g.setRenderingHint(
          RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setColor(Color.BLACK);
      g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
      g.drawString("samples by predicted class (first by index)", 10, CHART_HEIGHT + 20);
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
      for (int c = 0; c < classes; c++) {
        int top = CHART_HEIGHT + 30 + c * ROW_HEIGHT;
        g.setColor(Color.BLACK);
        g.drawString(
            String.format(
                Locale.ROOT,
                "class %d: %d (%.1f%%)",
                c,
                r.samples().histogram()[c],
                100.0 * r.samples().histogram()[c] / r.samples().count()),
            10,
            top + ROW_HEIGHT / 2 + 5);
        int x = LABEL_WIDTH;
        for (byte[] pixels : examples.get(c).values()) {
          g.drawImage(picture(pixels, channels, side), x, top + 3, CELL, CELL, null);
          x += CELL + 4;
        }
      }
    } finally {
      g.dispose();
    }
    return Charts.toPng(image);
  }

  private static JFreeChart histogram(EvaluateJob.Result r, String title) {
    DefaultCategoryDataset data = new DefaultCategoryDataset();
    add(data, "samples", r.samples());
    add(data, "floor: real training images", r.floor());
    add(data, "ceiling: uniform noise", r.ceiling());
    JFreeChart chart =
        ChartFactory.createBarChart(
            String.format(
                Locale.ROOT,
                "%s — FID %.2f (floor %.2f, ceiling %.2f), confidence %.3f",
                title,
                r.samples().fid(),
                r.floor().fid(),
                r.ceiling().fid(),
                r.samples().meanConfidence()),
            "predicted class",
            "fraction of images",
            data,
            PlotOrientation.VERTICAL,
            true,
            false,
            false);
    Charts.style(chart);
    chart.getTitle().setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
    CategoryPlot plot = chart.getCategoryPlot();
    BarRenderer bars = (BarRenderer) plot.getRenderer();
    bars.setBarPainter(new StandardBarPainter());
    bars.setShadowVisible(false);
    bars.setSeriesPaint(0, Charts.BLUE);
    bars.setSeriesPaint(1, new Color(44, 160, 44));
    bars.setSeriesPaint(2, new Color(160, 160, 160));
    return chart;
  }

  private static void add(DefaultCategoryDataset data, String series, SetMetrics m) {
    for (int c = 0; c < m.histogram().length; c++) {
      data.addValue(m.histogram()[c] / (double) m.count(), series, Integer.toString(c));
    }
  }

  private static BufferedImage picture(byte[] pixels, int channels, int side) {
    if (channels == 1) {
      BufferedImage img = new BufferedImage(side, side, BufferedImage.TYPE_BYTE_GRAY);
      img.getRaster().setDataElements(0, 0, side, side, pixels);
      return img;
    }
    BufferedImage img = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
    int plane = side * side;
    for (int i = 0; i < plane; i++) {
      int red = pixels[i] & 0xFF;
      int green = pixels[plane + i] & 0xFF;
      int blue = pixels[2 * plane + i] & 0xFF;
      img.setRGB(i % side, i / side, (red << 16) | (green << 8) | blue);
    }
    return img;
  }
}
