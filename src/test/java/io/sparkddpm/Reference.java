package io.sparkddpm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.sparkddpm.io.SafeTensors;
import io.sparkddpm.io.Tensor;
import io.sparkddpm.model.UNet2DModel;
import io.sparkddpm.model.UNetConfig;
import io.sparkddpm.model.UNetWeights;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * The diffusers reference tensors on the test classpath ({@code src/test/resources/reference/},
 * copied from the project's shared reference folder; how each was produced is in its README), and
 * the comparisons the parity tests make against them. {@code maxAbsDiff} is always the largest
 * absolute elementwise difference; {@code maxMagnitude} the largest absolute value of one tensor.
 */
public final class Reference {
  private static final Map<String, SafeTensors.Contents> LOADED = new HashMap<>();

  private Reference() {}

  /** A resource under {@code reference/} as bytes, gunzipped when its name ends in .gz. */
  public static byte[] bytes(String name) {
    try (InputStream raw = Reference.class.getResourceAsStream("/reference/" + name)) {
      if (raw == null) {
        throw new IllegalStateException("test resource reference/" + name + " is missing");
      }
      if (!name.endsWith(".gz")) {
        return raw.readAllBytes();
      }
      try (InputStream in = new GZIPInputStream(raw)) {
        return in.readAllBytes();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A resource under {@code reference/} as text. */
  public static String text(String name) {
    return new String(bytes(name), StandardCharsets.UTF_8);
  }

  /**
   * The relative L2 error {@code |actual - expected| / |expected|} over the whole tensor, the
   * tolerance measure of the parity tests against torch.
   */
  public static double relativeError(float[] actual, float[] expected) {
    if (actual.length != expected.length) {
      throw new AssertionError(
          "lengths: expected " + expected.length + " values, got " + actual.length);
    }
    double diff = 0;
    double norm = 0;
    for (int i = 0; i < expected.length; i++) {
      double d = (double) actual[i] - expected[i];
      diff += d * d;
      norm += (double) expected[i] * expected[i];
    }
    return Math.sqrt(diff / norm);
  }

  /** A safetensors resource under {@code reference/}, read once per JVM. */
  public static synchronized SafeTensors.Contents tensors(String name) {
    return LOADED.computeIfAbsent(name, n -> SafeTensors.read(bytes(n), "reference/" + n));
  }

  /** diffusers' DDPMScheduler tensors. */
  public static SafeTensors.Contents ddpm() {
    return tensors("ddpm.safetensors");
  }

  /** diffusers' DDIMScheduler tensors. */
  public static SafeTensors.Contents ddim() {
    return tensors("ddim.safetensors");
  }

  /** The 5-step sampling loops (committed with the UNet reference files). */
  public static SafeTensors.Contents pipeline() {
    return tensors("pipeline.safetensors");
  }

  /**
   * Steps and loops of the spacings and DPM-Solver++ (reference/samplers.safetensors, written by
   * reference/scripts/samplers_reference.py with diffusers 0.42.1).
   */
  public static SafeTensors.Contents samplers() {
    return tensors("samplers.safetensors");
  }

  /** diffusers' set_timesteps for n = 1..1000 (reference/timesteps.safetensors.gz, same script). */
  public static SafeTensors.Contents timesteps() {
    return tensors("timesteps.safetensors.gz");
  }

  /** The reference model: config and weights from {@code reference/unet/}. */
  public static UNet2DModel model(NDManager manager) {
    UNet2DModel model =
        new UNet2DModel(UNetConfig.fromJson(text("unet/config.json"), "unet/config.json"));
    model.initialize(manager);
    UNetWeights.load(
        model, tensors("unet/diffusion_pytorch_model.safetensors").tensors(), "reference unet");
    return model;
  }

  /** An F32 or I64 tensor as an NDArray in {@code manager}. */
  public static NDArray nd(NDManager manager, Tensor t) {
    Shape shape = new Shape(t.shape());
    return switch (t.dtype()) {
      case F32 -> manager.create(t.toFloats(), shape);
      case I64 -> manager.create(t.toLongs(), shape);
      default -> throw new IllegalArgumentException("unsupported dtype " + t.dtype());
    };
  }

  /** The single integer stored as tensor {@code name}. */
  public static long scalar(SafeTensors.Contents c, String name) {
    return c.get(name).toLongs()[0];
  }

  /** Largest absolute elementwise difference. */
  public static double maxAbsDiff(float[] expected, float[] actual) {
    sameLength(expected, actual);
    double max = 0;
    for (int i = 0; i < expected.length; i++) {
      max = Math.max(max, Math.abs((double) expected[i] - actual[i]));
    }
    return max;
  }

  /** Largest absolute elementwise difference. */
  public static double maxAbsDiff(NDArray actual, Tensor expected) {
    return maxAbsDiff(expected.toFloats(), actual.toFloatArray());
  }

  /** Largest elementwise difference relative to the expected value (absolute where it is 0). */
  public static double maxRelativeDiff(float[] expected, float[] actual) {
    sameLength(expected, actual);
    double max = 0;
    for (int i = 0; i < expected.length; i++) {
      double diff = Math.abs((double) expected[i] - actual[i]);
      max = Math.max(max, expected[i] == 0 ? diff : diff / Math.abs(expected[i]));
    }
    return max;
  }

  /** How many elements differ in any bit. */
  public static int bitMismatches(float[] expected, float[] actual) {
    sameLength(expected, actual);
    int n = 0;
    for (int i = 0; i < expected.length; i++) {
      if (Float.floatToIntBits(expected[i]) != Float.floatToIntBits(actual[i])) {
        n++;
      }
    }
    return n;
  }

  /** Largest absolute value of one tensor (the scale a tolerance is relative to). */
  public static double maxMagnitude(Tensor t) {
    double max = 0;
    for (float v : t.toFloats()) {
      max = Math.max(max, Math.abs(v));
    }
    return max;
  }

  private static void sameLength(float[] expected, float[] actual) {
    if (expected.length != actual.length) {
      throw new AssertionError("length " + actual.length + ", expected " + expected.length);
    }
  }
}
