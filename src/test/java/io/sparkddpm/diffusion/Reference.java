package io.sparkddpm.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.sparkddpm.io.SafeTensors;
import io.sparkddpm.io.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * diffusers' scheduler tensors from the test classpath ({@code reference/ddpm.safetensors}, {@code
 * reference/ddim.safetensors} and {@code reference/pipeline.safetensors}, copied from the project's
 * shared reference folder; how they were produced is in its README), plus comparison helpers.
 */
final class Reference {
  private static SafeTensors.Contents ddpm;
  private static SafeTensors.Contents ddim;
  private static SafeTensors.Contents pipeline;
  private static SafeTensors.Contents samplers;
  private static SafeTensors.Contents timesteps;

  private Reference() {}

  static synchronized SafeTensors.Contents ddpm() {
    if (ddpm == null) {
      ddpm = load("ddpm.safetensors");
    }
    return ddpm;
  }

  static synchronized SafeTensors.Contents ddim() {
    if (ddim == null) {
      ddim = load("ddim.safetensors");
    }
    return ddim;
  }

  /** The 5-step sampling loops (committed with the UNet reference files). */
  static synchronized SafeTensors.Contents pipeline() {
    if (pipeline == null) {
      pipeline = load("pipeline.safetensors");
    }
    return pipeline;
  }

  /**
   * Steps and loops of the spacings and DPM-Solver++ (reference/samplers.safetensors, written by
   * reference/scripts/samplers_reference.py with diffusers 0.42.1).
   */
  static synchronized SafeTensors.Contents samplers() {
    if (samplers == null) {
      samplers = load("samplers.safetensors");
    }
    return samplers;
  }

  /** diffusers' set_timesteps for n = 1..1000 (reference/timesteps.safetensors.gz, same script). */
  static synchronized SafeTensors.Contents timesteps() {
    if (timesteps == null) {
      timesteps = load("timesteps.safetensors.gz");
    }
    return timesteps;
  }

  private static SafeTensors.Contents load(String name) {
    String resource = "/reference/" + name;
    try (InputStream raw = Reference.class.getResourceAsStream(resource)) {
      if (raw == null) {
        throw new IllegalStateException(resource + " is not on the test classpath");
      }
      if (!name.endsWith(".gz")) {
        return SafeTensors.read(raw, resource);
      }
      try (InputStream in = new java.util.zip.GZIPInputStream(raw)) {
        return SafeTensors.read(in, resource);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static NDArray array(NDManager manager, Tensor t) {
    return manager.create(t.toFloats(), new Shape(t.shape()));
  }

  static long scalar(SafeTensors.Contents c, String name) {
    return c.get(name).toLongs()[0];
  }

  static double maxAbs(float[] expected, float[] actual) {
    check(expected, actual);
    double max = 0;
    for (int i = 0; i < expected.length; i++) {
      max = Math.max(max, Math.abs((double) expected[i] - actual[i]));
    }
    return max;
  }

  static double maxRelative(float[] expected, float[] actual) {
    check(expected, actual);
    double max = 0;
    for (int i = 0; i < expected.length; i++) {
      double diff = Math.abs((double) expected[i] - actual[i]);
      max = Math.max(max, expected[i] == 0 ? diff : diff / Math.abs(expected[i]));
    }
    return max;
  }

  static int bitMismatches(float[] expected, float[] actual) {
    check(expected, actual);
    int n = 0;
    for (int i = 0; i < expected.length; i++) {
      if (Float.floatToIntBits(expected[i]) != Float.floatToIntBits(actual[i])) {
        n++;
      }
    }
    return n;
  }

  private static void check(float[] expected, float[] actual) {
    if (expected.length != actual.length) {
      throw new AssertionError("length " + actual.length + ", expected " + expected.length);
    }
  }
}
