package io.sparkddpm.io;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A PNG line chart of training loss against step: the raw loss in a light colour, its exponential
 * moving average (debiased as TensorBoard's smoothing is) drawn over it, with axes, ticks and a
 * title.
 *
 * <p>Drawn with Java2D into an image, so it needs no display: the class switches AWT to headless
 * mode unless the JVM was started with {@code java.awt.headless} set.
 */
public final class LossCurve {
  static {
    // Must run before AWT initialises its toolkit; executors and CI have no display.
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
  }

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
    /** Checks the size is large enough to hold the margins and that smoothing is a weight. */
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
  private static final Color SMOOTH = new Color(31, 119, 180);
  private static final Color GRID = new Color(225, 225, 225);
  private static final int LEFT = 70;
  private static final int RIGHT = 20;
  private static final int TOP = 40;
  private static final int BOTTOM = 50;

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
    List<double[]> points = plottable(steps, losses, log); // (step, loss) pairs
    if (points.isEmpty()) {
      throw new IllegalArgumentException(
          "no plottable point among " + losses.length + " losses" + (log ? " on a log axis" : ""));
    }
    double[] smooth = ema(points, options.smoothing());

    Axis x = Axis.linear(points.get(0)[0], points.get(points.size() - 1)[0], true);
    double minY = Double.POSITIVE_INFINITY;
    double maxY = Double.NEGATIVE_INFINITY;
    for (double[] p : points) {
      minY = Math.min(minY, p[1]);
      maxY = Math.max(maxY, p[1]);
    }
    Axis y = log ? Axis.log(minY, maxY) : Axis.linear(minY, maxY, false);
    y = y.padded(0.03); // keep the extremes off the frame

    BufferedImage image =
        new BufferedImage(options.width(), options.height(), BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    try {
      Plot plot = new Plot(g, options.width(), options.height(), x, y);
      plot.background(options.title());
      plot.line(points, null, RAW, 1f);
      plot.line(points, smooth, SMOOTH, 2f);
      plot.legend(options.smoothing());
    } finally {
      g.dispose();
    }
    return PngImages.toPng(image);
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

  private static List<double[]> plottable(long[] steps, double[] losses, boolean log) {
    List<double[]> points = new ArrayList<>(losses.length);
    for (int i = 0; i < losses.length; i++) {
      if (Double.isFinite(losses[i]) && (!log || losses[i] > 0)) {
        points.add(new double[] {steps[i], losses[i]});
      }
    }
    return points;
  }

  /** EMA debiased by 1 - w^n, so the early average is not pulled towards its zero start. */
  private static double[] ema(List<double[]> points, double weight) {
    double[] smooth = new double[points.size()];
    double average = 0;
    double weightPower = 1;
    for (int i = 0; i < smooth.length; i++) {
      average = weight * average + (1 - weight) * points.get(i)[1];
      weightPower *= weight;
      smooth[i] = average / (1 - weightPower);
    }
    return smooth;
  }

  /** Data range, its ticks, and the mapping to [0, 1] (log10 space for a log axis). */
  private record Axis(double lo, double hi, boolean log, double[] ticks, boolean integer) {
    static Axis linear(double min, double max, boolean integer) {
      if (max - min < (integer ? 1 : Math.max(1e-12, Math.abs(max) * 1e-9))) {
        // One point or a flat line: open a range around it so it sits mid-plot.
        double half =
            integer ? Math.max(1, Math.abs(max) * 0.05) : Math.max(1e-3, Math.abs(max) * 0.1);
        min -= half;
        max += half;
      }
      double step = niceStep((max - min) / 6);
      if (integer) {
        step = Math.max(1, step);
      }
      List<Double> ticks = new ArrayList<>();
      long first = (long) Math.ceil(min / step);
      for (long i = first; i * step <= max + step * 1e-9; i++) {
        ticks.add(
            i * step); // multiplying, not accumulating, keeps 0.3 from becoming 0.30000000000000004
      }
      return new Axis(min, max, false, ticks.stream().mapToDouble(d -> d).toArray(), integer);
    }

    static Axis log(double min, double max) {
      double lo = Math.log10(min);
      double hi = Math.log10(max);
      if (hi - lo < 0.1) {
        lo -= 0.05;
        hi += 0.05;
      }
      // Few decades: label 1, 2 and 5 of each; many: powers of ten only.
      double[] mantissas = hi - lo < 3 ? new double[] {1, 2, 5} : new double[] {1};
      List<Double> ticks = new ArrayList<>();
      for (int e = (int) Math.floor(lo); e <= (int) Math.ceil(hi); e++) {
        for (double m : mantissas) {
          double t = Math.log10(m) + e;
          if (t >= lo - 1e-9 && t <= hi + 1e-9) {
            ticks.add(t);
          }
        }
      }
      return new Axis(lo, hi, true, ticks.stream().mapToDouble(d -> d).toArray(), false);
    }

    /** The same ticks over a range widened by {@code share} of its span at both ends. */
    Axis padded(double share) {
      double margin = (hi - lo) * share;
      return new Axis(lo - margin, hi + margin, log, ticks, integer);
    }

    double fraction(double value) {
      return ((log ? Math.log10(value) : value) - lo) / (hi - lo);
    }

    String label(double tick) {
      if (log) {
        return formatNumber(Math.pow(10, tick));
      }
      if (integer) {
        return formatStep((long) Math.rint(tick), stepUnit());
      }
      double step = ticks.length > 1 ? ticks[1] - ticks[0] : Math.abs(tick);
      int decimals = Math.max(0, (int) Math.ceil(-Math.log10(step) - 1e-9));
      return decimals > 4
          ? String.format(Locale.ROOT, "%.1e", tick)
          : String.format(Locale.ROOT, "%." + decimals + "f", tick);
    }

    private static double niceStep(double rough) {
      double magnitude = Math.pow(10, Math.floor(Math.log10(rough)));
      double fraction = rough / magnitude;
      double nice = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10;
      return nice * magnitude;
    }

    /** 1_000_000 or 1000 if every tick is a multiple of it (labelled "M" or "k"), else 1. */
    private long stepUnit() {
      for (long unit : new long[] {1_000_000, 1000}) {
        boolean all = true;
        for (double t : ticks) {
          all &= Math.rint(t) % unit == 0;
        }
        if (all) {
          return unit;
        }
      }
      return 1;
    }

    private static String formatStep(long step, long unit) {
      String suffix = unit == 1_000_000 ? "M" : unit == 1000 ? "k" : "";
      return step / unit + (step == 0 ? "" : suffix);
    }

    private static String formatNumber(double value) {
      String plain = String.format(Locale.ROOT, "%.4g", value);
      if (plain.contains("e")) {
        return String.format(Locale.ROOT, "%.0e", value);
      }
      return plain.contains(".") ? plain.replaceAll("0+$", "").replaceAll("\\.$", "") : plain;
    }
  }

  /** Pixel layout of one chart. */
  private static final class Plot {
    private final Graphics2D g;
    private final int width;
    private final int height;
    private final int plotW;
    private final int plotH;
    private final Axis x;
    private final Axis y;

    Plot(Graphics2D g, int width, int height, Axis x, Axis y) {
      this.g = g;
      this.width = width;
      this.height = height;
      this.plotW = width - LEFT - RIGHT;
      this.plotH = height - TOP - BOTTOM;
      this.x = x;
      this.y = y;
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setRenderingHint(
          RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
    }

    double px(double step) {
      return LEFT + x.fraction(step) * plotW;
    }

    double py(double loss) {
      return TOP + (1 - y.fraction(loss)) * plotH;
    }

    /** White page, title, grid lines, tick labels, axis frame and names. */
    void background(String title) {
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, width, height);
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
      FontMetrics fm = g.getFontMetrics();
      g.setStroke(new BasicStroke(1f));
      for (double t : x.ticks()) {
        double px = LEFT + (t - x.lo()) / (x.hi() - x.lo()) * plotW;
        g.setColor(GRID);
        g.draw(new Line2D.Double(px, TOP, px, TOP + plotH));
        g.setColor(Color.BLACK);
        g.draw(new Line2D.Double(px, TOP + plotH, px, TOP + plotH + 5));
        String label = x.label(t);
        g.drawString(
            label, (float) px - fm.stringWidth(label) / 2f, TOP + plotH + 8 + fm.getAscent());
      }
      for (double t : y.ticks()) {
        double py = TOP + (1 - (t - y.lo()) / (y.hi() - y.lo())) * plotH;
        g.setColor(GRID);
        g.draw(new Line2D.Double(LEFT, py, LEFT + plotW, py));
        g.setColor(Color.BLACK);
        g.draw(new Line2D.Double(LEFT - 5, py, LEFT, py));
        String label = y.label(t);
        g.drawString(label, LEFT - 8 - fm.stringWidth(label), (float) py + fm.getAscent() / 2f - 1);
      }
      g.setColor(Color.BLACK);
      g.drawRect(LEFT, TOP, plotW, plotH);
      g.drawString("step", LEFT + plotW / 2f - fm.stringWidth("step") / 2f, height - 10);
      String yName = y.log() ? "loss (log)" : "loss";
      Graphics2D rotated = (Graphics2D) g.create();
      rotated.rotate(-Math.PI / 2);
      rotated.drawString(yName, -(TOP + plotH / 2f + fm.stringWidth(yName) / 2f), 16f);
      rotated.dispose();
      g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
      fm = g.getFontMetrics();
      g.drawString(title, width / 2f - fm.stringWidth(title) / 2f, TOP - 14);
    }

    /** A polyline through the points, using {@code ys} instead of the points' losses if given. */
    void line(List<double[]> points, double[] ys, Color color, float strokeWidth) {
      g.setColor(color);
      g.setStroke(new BasicStroke(strokeWidth, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
      if (points.size() == 1) {
        // A lone point has no segment to draw; mark it.
        double r = 2 + strokeWidth;
        double cx = px(points.get(0)[0]);
        double cy = py(ys == null ? points.get(0)[1] : ys[0]);
        g.fill(new Ellipse2D.Double(cx - r, cy - r, 2 * r, 2 * r));
        return;
      }
      Path2D.Double path = new Path2D.Double(Path2D.WIND_NON_ZERO, points.size());
      for (int i = 0; i < points.size(); i++) {
        double px = px(points.get(i)[0]);
        double py = py(ys == null ? points.get(i)[1] : ys[i]);
        if (i == 0) {
          path.moveTo(px, py);
        } else {
          path.lineTo(px, py);
        }
      }
      g.setClip(LEFT, TOP, plotW + 1, plotH + 1);
      g.draw(path);
      g.setClip(null);
    }

    /** Names the two lines in the top-right corner of the plot. */
    void legend(double smoothing) {
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
      FontMetrics fm = g.getFontMetrics();
      String[] names = {"raw", String.format(Locale.ROOT, "EMA (%.2f)", smoothing)};
      Color[] colors = {RAW, SMOOTH};
      float[] strokes = {1f, 2f};
      int boxW = 30 + fm.stringWidth(names[1]) + 12;
      int boxH = 2 * fm.getHeight() + 8;
      int left = LEFT + plotW - boxW - 8;
      int top = TOP + 8;
      g.setColor(new Color(255, 255, 255, 220));
      g.fillRect(left, top, boxW, boxH);
      g.setColor(Color.GRAY);
      g.setStroke(new BasicStroke(1f));
      g.drawRect(left, top, boxW, boxH);
      for (int i = 0; i < names.length; i++) {
        int baseline = top + 4 + (i + 1) * fm.getHeight() - fm.getDescent();
        int mid = baseline - fm.getAscent() / 2 + 1;
        g.setColor(colors[i]);
        g.setStroke(new BasicStroke(strokes[i]));
        g.draw(new Line2D.Double(left + 6, mid, left + 24, mid));
        g.setColor(Color.BLACK);
        g.drawString(names[i], left + 30, baseline);
      }
    }
  }
}
