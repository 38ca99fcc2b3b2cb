package io.sparkddpm.model;

import ai.djl.engine.Engine;

/**
 * Loads DJL's PyTorch engine, offline, with a message that says what to add when libtorch is
 * missing: DJL would otherwise try (and, offline, fail) to download it.
 */
public final class Engines {
  /** The native artifact of the default build; {@code -Pcuda} uses pytorch-native-cu124. */
  public static final String NATIVE_ARTIFACT =
      "ai.djl.pytorch:pytorch-native-cpu:2.5.1:linux-x86_64";

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
              + "). Put the native library on the classpath: the Maven artifact "
              + NATIVE_ARTIFACT
              + " (or pytorch-native-cu124 for CUDA), e.g. spark-submit --jars"
              + " target/lib/pytorch-native-cpu-2.5.1-linux-x86_64.jar",
          e);
    }
  }
}
