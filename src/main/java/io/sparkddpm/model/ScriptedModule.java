package io.sparkddpm.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * A parameterless TorchScript module shipped as a resource of this package, loaded once per JVM on
 * first use: the way to reach a libtorch op that DJL's JNI does not bind. The module has no device
 * of its own, so one file serves CPU and CUDA; autograd records through it like through any op.
 */
final class ScriptedModule {
  private final String resource;
  private volatile PtSymbolBlock module;

  ScriptedModule(String resource) {
    this.resource = resource;
  }

  /**
   * Runs the module's forward.
   *
   * @param training whether autograd may record (the caller's grad mode decides in the end)
   * @return the single output, owned by the first input's manager
   */
  NDArray apply(boolean training, NDArray... inputs) {
    return IValueUtils.forward(module(), new NDList(inputs), training).singletonOrThrow();
  }

  /**
   * Runs the module's forward on {@code tensor} and the list {@code list} (a {@code List[Tensor]}
   * argument, passed to libtorch in one call).
   *
   * @return the single tensor output, owned by {@code owner}
   */
  NDArray applyWithList(PtNDManager owner, PtNDArray tensor, PtNDArray... list) {
    try (IValue a = IValue.from(tensor);
        IValue b = IValue.listFrom(list);
        IValue out = IValueUtils.forward(module(), new IValue[] {a, b})) {
      return out.toTensor(owner);
    }
  }

  /** Like {@link #applyWithList}, for a forward whose only argument is the list. */
  NDArray applyToList(PtNDManager owner, PtNDArray... list) {
    try (IValue b = IValue.listFrom(list);
        IValue out = IValueUtils.forward(module(), new IValue[] {b})) {
      return out.toTensor(owner);
    }
  }

  private PtSymbolBlock module() {
    PtSymbolBlock m = module;
    if (m == null) {
      synchronized (this) {
        if (module == null) {
          module = load();
        }
        m = module;
      }
    }
    return m;
  }

  private PtSymbolBlock load() {
    // Lives as long as the JVM: the module is a few kB and every model of the process shares it.
    NDManager owner = NDManager.newBaseManager(Device.cpu(), "PyTorch");
    try (InputStream in = ScriptedModule.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException(resource + " is missing from the classpath");
      }
      return JniUtils.loadModule((PtNDManager) owner, in, true, false);
    } catch (IOException e) {
      throw new UncheckedIOException("loading " + resource, e);
    }
  }
}
