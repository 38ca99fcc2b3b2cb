package io.sparkddpm.model;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.LibUtils;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * Loads DJL's PyTorch engine, offline, with a message that says what to add when libtorch is
 * missing: DJL would otherwise try (and, offline, fail) to download it.
 *
 * <p>libtorch comes from one of two places. On CPU, the Maven artifact {@link #NATIVE_ARTIFACT} on
 * the classpath (shipped with {@code --jars}). On GPU, PyTorch's own CUDA wheel installed on the
 * machine, named by the environment variables {@code PYTORCH_LIBRARY_PATH} (its {@code torch/lib}
 * folder), {@code PYTORCH_VERSION} and {@code PYTORCH_FLAVOR} (e.g. {@code cu128}); DJL prefers
 * that folder when the variable is set, and takes its JNI bridge for the flavor from pytorch-jni.
 */
public final class Engines {
  /** The libtorch version of the build: pom.xml's pytorch.version, via libtorch.properties. */
  static final String LIBTORCH = buildProperty("libtorch.properties", "version");

  /** The native artifact of the CPU build. */
  public static final String NATIVE_ARTIFACT =
      "ai.djl.pytorch:pytorch-native-cpu:" + LIBTORCH + ":linux-x86_64";

  private Engines() {}

  /** The PyTorch engine, or an error naming the native jar to put on the classpath. */
  public static Engine pytorch() {
    if (System.getProperty("ai.djl.offline") == null) {
      System.setProperty("ai.djl.offline", "true");
    }
    try {
      return Engine.getEngine("PyTorch");
    } catch (RuntimeException | UnsatisfiedLinkError e) {
      throw new IllegalStateException(
          "libtorch could not be loaded ("
              + e.getMessage()
              + "). On CPU, put the Maven artifact "
              + NATIVE_ARTIFACT
              + " on the classpath, e.g. spark-submit --jars"
              + " target/lib/pytorch-native-cpu-linux-x86_64.jar; on GPU, set PYTORCH_LIBRARY_PATH to the torch/lib folder of"
              + " PyTorch's "
              + LIBTORCH
              + " CUDA wheel, PYTORCH_VERSION="
              + LIBTORCH
              + " and PYTORCH_FLAVOR=cu128 (docker/Dockerfile.gpu)",
          e);
    }
  }

  /** A value of a properties file the build wrote beside this class. */
  private static String buildProperty(String file, String key) {
    Properties p = new Properties();
    try (InputStream in = Engines.class.getResourceAsStream(file)) {
      if (in == null) {
        throw new IllegalStateException(file + " is missing from the classpath (built by Maven)");
      }
      p.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    String value = p.getProperty(key);
    if (value == null || value.isBlank() || value.startsWith("${")) {
      throw new IllegalStateException(file + ": no " + key + " (not filtered by the build?)");
    }
    return value;
  }

  /** "PyTorch 2.7.1 from /path/to/lib": the engine loaded, and where its libtorch came from. */
  public static String describe() {
    Engine engine = pytorch();
    return engine.getEngineName()
        + " "
        + engine.getVersion()
        + " from "
        + LibUtils.getLibtorchPath();
  }
}
