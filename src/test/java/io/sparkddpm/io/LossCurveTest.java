package io.sparkddpm.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkddpm.io.LossCurve.Options;
import io.sparkddpm.io.LossCurve.YScale;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class LossCurveTest {
  /** A DDPM-like curve: fast decay from ~1 towards 0.03, with multiplicative noise. */
  private static double[] noisyLosses(long[] steps, long seed) {
    Random random = new Random(seed);
    double[] losses = new double[steps.length];
    for (int i = 0; i < steps.length; i++) {
      double clean = 0.03 + 0.9 * Math.exp(-steps[i] / 300.0);
      losses[i] = clean * (1 + 0.3 * random.nextGaussian());
    }
    return losses;
  }

  private static long[] steps(int count, long every) {
    long[] steps = new long[count];
    for (int i = 0; i < count; i++) {
      steps[i] = (i + 1) * every;
    }
    return steps;
  }

  private static BufferedImage decode(byte[] png) throws IOException {
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
    assertTrue(image != null, "ImageIO could not decode the chart");
    return image;
  }

  /** Distinct colours, and the share of pixels that differ from the white page. */
  private static void assertNotBlank(BufferedImage image, int minColours, double minInk) {
    Set<Integer> colours = new HashSet<>();
    int ink = 0;
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        int rgb = image.getRGB(x, y) & 0xFFFFFF;
        colours.add(rgb);
        if (rgb != 0xFFFFFF) {
          ink++;
        }
      }
    }
    double share = ink / (double) (image.getWidth() * image.getHeight());
    assertTrue(colours.size() >= minColours, colours.size() + " distinct colours");
    assertTrue(share >= minInk, "only " + share + " of pixels are drawn");
  }

  @Test
  void fiveHundredNoisyPointsRenderAtTheRequestedSize() throws IOException {
    long[] steps = steps(500, 4);
    Options options = new Options(640, 400, "DDPM MNIST loss", YScale.AUTO, 0.95);

    byte[] png = LossCurve.render(steps, noisyLosses(steps, 1), options);

    BufferedImage image = decode(png);
    assertEquals(640, image.getWidth());
    assertEquals(400, image.getHeight());
    assertNotBlank(image, 50, 0.03);
    // Kept beside test-classes (e.g. target/loss-curve-example.png) for a human look.
    Files.write(buildDirectory().resolve("loss-curve-example.png"), png);
  }

  private static Path buildDirectory() {
    try {
      Path testClasses =
          Path.of(LossCurveTest.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      return testClasses.getParent();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void onePointRenders() throws IOException {
    BufferedImage image = decode(LossCurve.render(new long[] {0}, new double[] {0.5}));

    assertEquals(Options.defaults().width(), image.getWidth());
    assertEquals(Options.defaults().height(), image.getHeight());
    assertNotBlank(image, 10, 0.005);
  }

  @Test
  void thousandsOfPointsOnALogAxisRender() throws IOException {
    long[] steps = steps(20_000, 1);
    double[] losses = noisyLosses(steps, 2);
    losses[100] = Double.NaN; // a diverged step is skipped, not fatal
    Options options = new Options(800, 500, "log", YScale.LOG, 0.99);

    BufferedImage image = decode(LossCurve.render(steps, losses, options));

    assertNotBlank(image, 50, 0.03);
  }

  @Test
  void flatLossRenders() throws IOException {
    assertNotBlank(
        decode(LossCurve.render(new long[] {1, 2, 3}, new double[] {0.1, 0.1, 0.1})), 10, 0.005);
  }

  @Test
  void badInputIsRefused() {
    assertThrows(
        IllegalArgumentException.class,
        () -> LossCurve.render(new long[] {1, 2}, new double[] {0.1}));
    assertThrows(
        IllegalArgumentException.class,
        () -> LossCurve.render(new long[] {1}, new double[] {Double.NaN}));
    assertThrows(
        IllegalArgumentException.class, () -> new Options(800, 500, "t", YScale.AUTO, 1.0));
  }

  @Test
  void smoothedLineStartsAtTheFirstLossAndFollowsTensorBoardsFormula() {
    double[] losses = {1.0, 0.0, 0.5};

    double[] smooth = LossCurve.smoothed(losses, 0.5);

    assertEquals(1.0, smooth[0], 0.0); // the first point is the first loss, not 0.5 x it
    // (0.25 x 1 + 0.5 x 0) / (1 - 0.25) and (0.125 x 1 + 0.25 x 0 + 0.5 x 0.5) / (1 - 0.125)
    assertEquals(1.0 / 3, smooth[1], 1e-15);
    assertEquals(0.375 / 0.875, smooth[2], 1e-15);
  }

  @Test
  void constantLossStaysConstantAndNonFiniteValuesPassThrough() {
    double[] flat = new double[500];
    java.util.Arrays.fill(flat, 0.1);
    for (double v : LossCurve.smoothed(flat, 0.95)) {
      assertEquals(0.1, v, 0.0);
    }
    double[] smooth = LossCurve.smoothed(new double[] {0.2, Double.NaN, 0.2, 0.4}, 0.9);
    assertTrue(Double.isNaN(smooth[1]));
    assertEquals(0.2, smooth[2], 1e-15); // the NaN is not averaged in
    assertEquals((0.081 * 0.2 + 0.09 * 0.2 + 0.1 * 0.4) / (1 - 0.729), smooth[3], 1e-12);
  }

  @Test
  void smoothedPointIsAWeightedMeanOfTheLossesSoFar() {
    // Debiased, each point is a weighted mean (weights summing to 1) of the losses up to it, so it
    // lies between their minimum and maximum; an EMA started at 0 without the division lies below.
    long[] steps = steps(40, 1);
    double[] losses = noisyLosses(steps, 3);
    double[] smooth = LossCurve.smoothed(losses, 0.95);
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < losses.length; i++) {
      min = Math.min(min, losses[i]);
      max = Math.max(max, losses[i]);
      assertTrue(smooth[i] >= min - 1e-15 && smooth[i] <= max + 1e-15, "point " + i);
    }
  }
}
