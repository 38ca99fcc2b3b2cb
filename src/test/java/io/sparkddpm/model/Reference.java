package io.sparkddpm.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.sparkddpm.io.SafeTensors;
import io.sparkddpm.io.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * Loads the diffusers reference tensors copied from {@code shared/reference/} into {@code
 * src/test/resources/reference/} (produced by diffusers 0.40.0.dev0 on torch 2.13 CPU; see that
 * folder's README for how each tensor was made).
 */
public final class Reference {
  private Reference() {}

  /** A resource under {@code reference/} as bytes. */
  public static byte[] bytes(String name) {
    try (InputStream in = Reference.class.getResourceAsStream("/reference/" + name)) {
      if (in == null) {
        throw new IllegalStateException("test resource reference/" + name + " is missing");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A resource under {@code reference/} as text. */
  public static String text(String name) {
    return new String(bytes(name), StandardCharsets.UTF_8);
  }

  /** A safetensors resource under {@code reference/}. */
  public static SafeTensors.Contents tensors(String name) {
    return SafeTensors.read(bytes(name), "reference/" + name);
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

  /** Largest absolute elementwise difference. */
  public static double maxAbsDiff(NDArray actual, Tensor expected) {
    float[] a = actual.toFloatArray();
    float[] e = expected.toFloats();
    if (a.length != e.length) {
      throw new AssertionError("size " + a.length + " != expected " + e.length);
    }
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      max = Math.max(max, Math.abs((double) a[i] - e[i]));
    }
    return max;
  }

  /** Largest absolute value. */
  public static double maxAbs(Tensor t) {
    double max = 0;
    for (float v : t.toFloats()) {
      max = Math.max(max, Math.abs(v));
    }
    return max;
  }
}
