package io.sparkddpm.io;

import java.awt.Color;
import java.awt.image.BufferedImage;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.Plot;

/**
 * The project's look for JFreeChart charts (white page, light grid, matplotlib's blue) and their
 * PNG encoding. Charts render into an image in memory, so they need no display: loading this class
 * switches AWT to headless mode unless the JVM was started with {@code java.awt.headless} set.
 */
public final class Charts {
  static {
    // Must run before AWT initialises its toolkit; executors and CI have no display.
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
  }

  /** matplotlib's first colour ("tab:blue"). */
  public static final Color BLUE = new Color(31, 119, 180);

  /** Grid lines. */
  public static final Color GRID = new Color(215, 215, 215);

  private Charts() {}

  /** White backgrounds and light grid lines on any XY or category chart. */
  public static void style(JFreeChart chart) {
    chart.setBackgroundPaint(Color.WHITE);
    chart.setAntiAlias(true);
    Plot plot = chart.getPlot();
    plot.setBackgroundPaint(Color.WHITE);
    plot.setOutlinePaint(Color.GRAY);
    if (plot instanceof org.jfree.chart.plot.XYPlot xy) {
      xy.setDomainGridlinePaint(GRID);
      xy.setRangeGridlinePaint(GRID);
    } else if (plot instanceof org.jfree.chart.plot.CategoryPlot cat) {
      cat.setRangeGridlinePaint(GRID);
    }
  }

  /** The chart drawn at {@code width x height}, as PNG bytes. */
  public static byte[] render(JFreeChart chart, int width, int height) {
    return toPng(chart.createBufferedImage(width, height, BufferedImage.TYPE_INT_RGB, null));
  }

  /** Any image as PNG bytes. */
  public static byte[] toPng(BufferedImage image) {
    return PngImages.toPng(image);
  }
}
