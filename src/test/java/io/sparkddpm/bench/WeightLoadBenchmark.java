package io.sparkddpm.bench;

import ai.djl.ndarray.NDManager;
import io.sparkddpm.model.FlatParameters;
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
 * What a task pays each step to put the driver's weights into its model: parameter by parameter
 * ({@link UNetWeights#overwriteAll} through a reused staging buffer, what {@code ExecutorModels}
 * did before) against one copy into the flat tensor the parameters are bound to ({@link
 * FlatParameters#load}, what it does now), alternating (ABBA) on one bound model in one JVM. Prints
 * both medians; asserts nothing.
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
      FlatParameters bound = FlatParameters.bind(model, manager);
      int total = bound.size();
      float[] flat = new float[total];
      for (int i = 0; i < flat.length; i++) {
        flat[i] = (float) Math.sin(i);
      }
      ByteBuffer staging =
          ByteBuffer.allocateDirect(flat.length * Float.BYTES).order(ByteOrder.nativeOrder());
      int warm = 10;
      double[] perParameter = new double[pairs];
      double[] flatMs = new double[pairs];
      for (int k = 0; k < pairs + warm; k++) {
        for (int j = 0; j < 2; j++) {
          boolean useFlat = (k % 2 == 0) == (j == 0); // ABBA
          long t0 = System.nanoTime();
          if (useFlat) {
            bound.load(flat);
          } else {
            UNetWeights.overwriteAll(model, flat, staging);
          }
          double ms = (System.nanoTime() - t0) / 1e6;
          if (k >= warm) {
            (useFlat ? flatMs : perParameter)[k - warm] = ms;
          }
        }
      }
      Arrays.sort(perParameter);
      Arrays.sort(flatMs);
      System.out.printf(
          Locale.ROOT,
          "{\"model\": \"%s\", \"params\": %d, \"tensors\": %d, \"pairs\": %d,"
              + " \"per_parameter_median_ms\": %.2f, \"per_parameter_min_max_ms\": [%.2f, %.2f],"
              + " \"flat_median_ms\": %.2f, \"flat_min_max_ms\": [%.2f, %.2f]}%n",
          which,
          total,
          model.namedParameters().size(),
          pairs,
          perParameter[pairs / 2],
          perParameter[0],
          perParameter[pairs - 1],
          flatMs[pairs / 2],
          flatMs[0],
          flatMs[pairs - 1]);
    }
  }
}
