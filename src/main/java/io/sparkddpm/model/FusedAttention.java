package io.sparkddpm.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * PyTorch's fused {@code scaled_dot_product_attention} on DJL tensors. DJL's JNI has no binding for
 * it, so it runs as a TorchScript module ({@code scaled_dot_product_attention.pt}, made by the
 * Python script beside it) loaded once per JVM. libtorch then picks its memory-efficient kernel on
 * CPU and flash or memory-efficient kernels on CUDA, and never materialises the (B, h, N, N) score
 * matrix that an explicit softmax(q k^T) v keeps for the backward pass. Autograd records through
 * the module like through any op; the module has no parameters and no device of its own.
 */
final class FusedAttention {
  private static final String RESOURCE = "scaled_dot_product_attention.pt";
  private static volatile PtSymbolBlock module;

  /**
   * Set to {@code false} to compute attention as softmax(q k^T / sqrt(d)) v with DJL's own ops
   * (materialising the scores): the before of the benchmark's before/after, and a way out on a
   * platform where the module cannot load. Read on every call, so a benchmark can alternate.
   */
  static final String PROPERTY = "sparkddpm.fused_attention";

  private FusedAttention() {}

  /** Whether attention runs through the fused kernel (default) or DJL's explicit ops. */
  static boolean enabled() {
    return !"false".equals(System.getProperty(PROPERTY));
  }

  /**
   * softmax(q k^T / sqrt(d)) v over the last two axes.
   *
   * @param q queries (B, h, N, d)
   * @param k keys (B, h, N, d)
   * @param v values (B, h, N, d)
   * @param training whether autograd may record (the caller's grad mode decides in the end)
   * @return (B, h, N, d), owned by {@code q}'s manager
   */
  static NDArray apply(NDArray q, NDArray k, NDArray v, boolean training) {
    return IValueUtils.forward(module(), new NDList(q, k, v), training).singletonOrThrow();
  }

  private static PtSymbolBlock module() {
    PtSymbolBlock m = module;
    if (m == null) {
      synchronized (FusedAttention.class) {
        if (module == null) {
          module = load();
        }
        m = module;
      }
    }
    return m;
  }

  private static PtSymbolBlock load() {
    // Lives as long as the JVM: the module is a few kB and every model of the process shares it.
    NDManager owner = NDManager.newBaseManager(Device.cpu(), "PyTorch");
    try (InputStream in = FusedAttention.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is missing from the classpath");
      }
      return JniUtils.loadModule((PtNDManager) owner, in, true, false);
    } catch (IOException e) {
      throw new UncheckedIOException("loading " + RESOURCE, e);
    }
  }
}
