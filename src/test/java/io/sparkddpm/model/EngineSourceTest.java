package io.sparkddpm.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.LibUtils;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.Test;

/**
 * The libtorch DJL loaded is the one the build names, from the place it should come from: the
 * version in {@link Engines#NATIVE_ARTIFACT} (so the constant and the error message that quotes it
 * follow pom.xml's pytorch.version), and, when {@code PYTORCH_LIBRARY_PATH} is set (a GPU node's
 * PyTorch wheel; {@code submit/wheel-libtorch.sh} runs the tests that way), that folder rather than
 * the native jar's copy in DJL's cache.
 */
class EngineSourceTest {
  @Test
  void loadsTheLibtorchTheBuildNames() {
    Engine engine = Engines.pytorch();
    String expected = Engines.NATIVE_ARTIFACT.split(":")[2];
    assertEquals(
        expected, engine.getVersion(), "libtorch version against " + Engines.NATIVE_ARTIFACT);
    String describe = Engines.describe();
    System.out.println("engine: " + describe);
    assertTrue(describe.startsWith("PyTorch " + expected + " from "), describe);

    Path loaded = Paths.get(LibUtils.getLibtorchPath()).toAbsolutePath().normalize();
    String override = System.getenv("PYTORCH_LIBRARY_PATH");
    if (override != null && !override.isEmpty()) {
      assertEquals(Paths.get(override).toAbsolutePath().normalize(), loaded);
    } else {
      // The native jar's libtorch, extracted into DJL's cache as
      // <version>[-<build date>]-<flavor>-<classifier>, e.g. 2.7.1-20250812-cpu-linux-x86_64.
      String folder = loaded.getFileName().toString();
      assertTrue(
          folder.startsWith(expected + "-") && folder.contains("-cpu"), "loaded from " + loaded);
    }
  }
}
