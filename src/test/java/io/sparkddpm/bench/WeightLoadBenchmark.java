package io.sparkddpm.bench;

import ai.djl.ndarray.NDManager;
import io.sparkddpm.model.UNet2DModel;
import io.sparkddpm.model.UNetConfig;
import io.sparkddpm.model.UNetWeights;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * What a task pays each step to put the driver's weights into its model ({@link
 * UNetWeights#overwriteAll}): through a fresh tensor made from the float array (a direct allocation
 * and two copies) against through a staging buffer kept from call to call (as {@code
 * ExecutorModels} does), alternating in one JVM. Prints both medians; asserts nothing.
 *
 * <p>Usage: {@code WeightLoadBenchmark [tutorial|config.json] [pairs=60]}
 */
public final class WeightLoadBenchmark {
  private WeightLoadBenchmark() {}

  public static void main(String[] args) throws Exception {
    String which = args.length > 0 ? args[0] : "tutorial";
    int pairs = args.length > 1 ? Integer.parseInt(args[1]) : 60;
    UNetConfig config =
        "tutorial".equals(which)
            ? UNetConfig.tutorial()
            : UNetConfig.fromJson(Files.readString(Path.of(which)), which);
    UNet2DModel model = new UNet2DModel(config);
    try (NDManager manager = NDManager.newBaseManager()) {
      model.initialize(manager);
      long total = 0;
      for (var p : model.namedParameters().values()) {
        total += p.getArray().getShape().size();
      }
      float[] flat = new float[Math.toIntExact(total)];
      for (int i = 0; i < flat.length; i++) {
        flat[i] = (float) Math.sin(i);
      }
      ByteBuffer staging =
          ByteBuffer.allocateDirect(flat.length * Float.BYTES).order(ByteOrder.nativeOrder());
      int warm = 10;
      double[] fresh = new double[pairs];
      double[] staged = new double[pairs];
      for (int k = 0; k < pairs + warm; k++) {
        for (int j = 0; j < 2; j++) {
          boolean useStaging = (k % 2 == 0) == (j == 0); // ABBA
          long t0 = System.nanoTime();
          UNetWeights.overwriteAll(model, flat, useStaging ? staging : null);
          double ms = (System.nanoTime() - t0) / 1e6;
          if (k >= warm) {
            (useStaging ? staged : fresh)[k - warm] = ms;
          }
        }
      }
      Arrays.sort(fresh);
      Arrays.sort(staged);
      System.out.printf(
          Locale.ROOT,
          "{\"model\": \"%s\", \"params\": %d, \"tensors\": %d, \"pairs\": %d,"
              + " \"fresh_median_ms\": %.2f, \"fresh_min_max_ms\": [%.2f, %.2f],"
              + " \"staged_median_ms\": %.2f, \"staged_min_max_ms\": [%.2f, %.2f]}%n",
          which,
          total,
          model.namedParameters().size(),
          pairs,
          fresh[pairs / 2],
          fresh[0],
          fresh[pairs - 1],
          staged[pairs / 2],
          staged[0],
          staged[pairs - 1]);
    }
  }
}
