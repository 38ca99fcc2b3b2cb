package io.sparkddpm.io;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.util.Locale;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * A PNG line chart of training loss against step, drawn with JFreeChart: the raw loss in a light
 * colour, its exponential moving average (debiased as TensorBoard's smoothing is, {@link
 * #smoothed}) over it, with a log loss axis when the loss spans more than a factor of ten.
 */
public final class LossCurve {
  /** How the loss axis is scaled. */
  public enum YScale {
    LINEAR,
    LOG,
    /** Log if the finite positive losses span more than a factor of 10, else linear. */
    AUTO
  }

  /**
   * Chart settings.
   *
   * @param width image width in pixels
   * @param height image height in pixels
   * @param title text above the plot
   * @param yScale loss axis scaling
   * @param smoothing EMA weight of the previous average, in [0, 1); 0 draws the raw loss twice
   */
  public record Options(int width, int height, String title, YScale yScale, double smoothing) {
    /** Checks the size is large enough to hold the axes and that smoothing is a weight. */
    public Options {
      if (width < 200 || height < 150) {
        throw new IllegalArgumentException(
            "chart must be at least 200x150 pixels, got " + width + "x" + height);
      }
      if (!(smoothing >= 0 && smoothing < 1)) {
        throw new IllegalArgumentException("smoothing must be in [0, 1), got " + smoothing);
      }
    }

    /** 800x500, title "training loss", automatic y scale, smoothing 0.95. */
    public static Options defaults() {
      return new Options(800, 500, "training loss", YScale.AUTO, 0.95);
    }
  }

  private static final Color RAW = new Color(31, 119, 180, 90);

  private LossCurve() {}

  /** Renders with {@link Options#defaults()}. */
  public static byte[] render(long[] steps, double[] losses) {
    return render(steps, losses, Options.defaults());
  }

  /**
   * Renders the chart as PNG bytes. Non-finite losses (a diverged step) are left out of the raw
   * line and the average; on a log axis so are losses &le; 0.
   *
   * @param steps x values, ascending
   * @param losses y values, one per step
   * @throws IllegalArgumentException if the arrays differ in length or hold no plottable point
   */
  public static byte[] render(long[] steps, double[] losses, Options options) {
    if (steps.length != losses.length) {
      throw new IllegalArgumentException(
          steps.length + " steps but " + losses.length + " losses; they must pair up");
    }
    boolean log = useLog(losses, options.yScale());
    // autoSort off: steps arrive in order; duplicates allowed (a resumed run may repeat one).
    XYSeries raw = new XYSeries("raw", false, true);
    XYSeries smooth =
        new XYSeries(
            String.format(
                Locale.ROOT, "EMA %.2f, debiased as TensorBoard smooths", options.smoothing()),
            false,
            true);
    double[] plotted = new double[losses.length];
    long[] at = new long[losses.length];
    int n = 0;
    for (int i = 0; i < losses.length; i++) {
      if (Double.isFinite(losses[i]) && !(log && losses[i] <= 0)) {
        at[n] = steps[i];
        plotted[n++] = losses[i];
      }
    }
    double[] average = smoothed(java.util.Arrays.copyOf(plotted, n), options.smoothing());
    for (int i = 0; i < n; i++) {
      raw.add(at[i], plotted[i], false);
      smooth.add(at[i], average[i], false);
    }
    if (raw.isEmpty()) {
      throw new IllegalArgumentException(
          "no plottable point among " + losses.length + " losses" + (log ? " on a log axis" : ""));
    }
    XYSeriesCollection data = new XYSeriesCollection();
    data.addSeries(raw);
    data.addSeries(smooth);

    NumberAxis x = new NumberAxis("step");
    x.setAutoRangeIncludesZero(false);
    x.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
    if (raw.getMaxX() - raw.getMinX() < 1) { // one point: open a range around it
      x.setRange(raw.getMinX() - 1, raw.getMaxX() + 1);
    }
    ValueAxis y = log ? logAxis() : linearAxis(raw);
    XYLineAndShapeRenderer lines = new XYLineAndShapeRenderer(true, raw.getItemCount() == 1);
    lines.setSeriesPaint(0, RAW);
    lines.setSeriesStroke(0, new BasicStroke(1f));
    lines.setSeriesPaint(1, Charts.BLUE);
    lines.setSeriesStroke(1, new BasicStroke(2f));
    XYPlot plot = new XYPlot(data, x, y, lines);
    JFreeChart chart =
        new JFreeChart(options.title(), new Font(Font.SANS_SERIF, Font.BOLD, 16), plot, true);
    Charts.style(chart);
    return Charts.render(chart, options.width(), options.height());
  }

  /**
   * TensorBoard's scalar smoothing: an exponential moving average started at 0 and divided by
   * {@code 1 - weight^n} after {@code n} values, so that it is not pulled towards its zero start
   * (the first point is the first value, and a constant series stays that constant); non-finite
   * values are passed through and not averaged in.
   *
   * @param values the series, in order
   * @param weight weight of the previous average, in [0, 1)
   */
  public static double[] smoothed(double[] values, double weight) {
    double[] out = new double[values.length];
    boolean constant = true;
    for (double v : values) {
      constant &= v == values[0];
    }
    double average = 0;
    double weightPower = 1;
    for (int i = 0; i < values.length; i++) {
      if (constant || !Double.isFinite(values[i])) {
        out[i] = values[i];
        continue;
      }
      average = weight * average + (1 - weight) * values[i];
      weightPower *= weight;
      out[i] = average / (1 - weightPower);
    }
    return out;
  }

  private static ValueAxis logAxis() {
    LogAxis y = new LogAxis("loss (log)");
    y.setBase(10);
    y.setSmallestValue(1e-12);
    // A label per decade (1, 0.1, 0.01, ...) with minor marks between: the default picks
    // fractional powers of ten and prints labels such as 0.631.
    y.setTickUnit(new NumberTickUnit(1.0), false, true); // true: auto selection off
    y.setMinorTickCount(9);
    y.setMinorTickMarksVisible(true);
    y.setNumberFormatOverride(new java.text.DecimalFormat("0.#####"));
    return y;
  }

  private static ValueAxis linearAxis(XYSeries raw) {
    NumberAxis y = new NumberAxis("loss");
    y.setAutoRangeIncludesZero(false);
    double lo = raw.getMinY();
    double hi = raw.getMaxY();
    if (hi - lo < Math.max(1e-12, Math.abs(hi) * 1e-9)) { // a flat line sits mid-plot
      double half = Math.max(1e-3, Math.abs(hi) * 0.1);
      y.setRange(lo - half, hi + half);
      y.setTickUnit(new NumberTickUnit(half / 2));
    }
    return y;
  }

  private static boolean useLog(double[] losses, YScale scale) {
    if (scale != YScale.AUTO) {
      return scale == YScale.LOG;
    }
    double min = Double.POSITIVE_INFINITY;
    double max = 0;
    for (double loss : losses) {
      if (Double.isFinite(loss) && loss > 0) {
        min = Math.min(min, loss);
        max = Math.max(max, loss);
      }
    }
    return max > 10 * min;
  }
}
