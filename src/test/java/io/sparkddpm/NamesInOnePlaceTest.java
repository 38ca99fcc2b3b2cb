package io.sparkddpm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkddpm.model.Engines;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The build's names have one source: the libtorch version is pom.xml's {@code pytorch.version} (the
 * copies a cluster node must read literally are checked against it), the JVM options Spark needs
 * are {@code conf/java-opens.args}, and no script, image or IT spells a versioned jar name.
 */
class NamesInOnePlaceTest {
  private static final Path PROJECT = Path.of("").toAbsolutePath();

  private static String pomVersion() throws IOException {
    Matcher m =
        Pattern.compile("<pytorch.version>([^<]+)</pytorch.version>")
            .matcher(Files.readString(PROJECT.resolve("pom.xml")));
    assertTrue(m.find(), "pom.xml declares pytorch.version");
    return m.group(1);
  }

  @Test
  void theLibtorchVersionIsPomsEverywhere() throws IOException {
    String version = pomVersion();
    assertTrue(Engines.NATIVE_ARTIFACT.endsWith(":" + version + ":linux-x86_64"));
    List<String> found = new ArrayList<>();
    Matcher conf =
        Pattern.compile("(?m)^\\S+\\.PYTORCH_VERSION\\s+(\\S+)$")
            .matcher(Files.readString(PROJECT.resolve("conf/spark-defaults.gpu.conf")));
    while (conf.find()) {
      found.add(conf.group(1));
    }
    Matcher docker =
        Pattern.compile("(?m)^ARG TORCH_VERSION=(\\S+)$")
            .matcher(Files.readString(PROJECT.resolve("docker/Dockerfile.gpu")));
    while (docker.find()) {
      found.add(docker.group(1));
    }
    assertEquals(4, found.size(), "three PYTORCH_VERSION settings and one ARG: " + found);
    assertEquals(List.of(version, version, version, version), found);
  }

  @Test
  void noScriptImageOrItSpellsTheOpensListOrAVersionedJar() throws IOException {
    List<String> offenders = new ArrayList<>();
    for (String dir :
        List.of("submit", "docker", "conf", "docs", "README.md", "src/test/java/io/sparkddpm/it")) {
      try (Stream<Path> files = Files.walk(PROJECT.resolve(dir))) {
        for (Path f : files.filter(Files::isRegularFile).toList()) {
          // Latin-1 reads any bytes (docs/images hold PNGs); the names looked for are ASCII.
          String text = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
          if (!f.endsWith("conf/java-opens.args") && text.contains("--add-opens=")) {
            offenders.add(PROJECT.relativize(f) + ": --add-opens");
          }
          if (text.contains("-SNAPSHOT.jar") || text.matches("(?s).*pytorch-native-\\w+-\\d.*")) {
            offenders.add(PROJECT.relativize(f) + ": a versioned jar name");
          }
        }
      }
    }
    assertEquals(List.of(), offenders);
    assertFalse(Files.readString(PROJECT.resolve("pom.xml")).contains("--add-opens="));
  }
}
