package io.sparkddpm.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs {@code submit/fetch-mnist.sh} on small fake files (their checksums cannot match). */
class FetchMnistScriptTest {
  private static final Path SCRIPT = IdxFiles.projectDir().resolve("submit/fetch-mnist.sh");

  @TempDir Path dir;

  record Result(int exit, String output) {}

  @BeforeAll
  static void needsBashAndSha256sum() {
    assumeTrue(Files.isRegularFile(SCRIPT), "no " + SCRIPT);
    for (String tool : List.of("/bin/bash", "/usr/bin/sha256sum")) {
      assumeTrue(Files.isExecutable(Path.of(tool)), "no " + tool);
    }
  }

  private static Result run(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("bash", SCRIPT.toString()));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "script timed out");
    return new Result(
        p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
  }

  @Test
  void helpExitsZeroAndShowsUsage() throws Exception {
    Result r = run("--help");

    assertEquals(0, r.exit(), r.output());
    assertTrue(r.output().contains("Usage:"), r.output());
  }

  @Test
  void corruptedCopyFailsOnChecksumAndIsRemoved() throws Exception {
    Path from = Files.createDirectory(dir.resolve("from"));
    Path dest = dir.resolve("dest");
    Files.write(
        from.resolve("train-images-idx3-ubyte"), IdxFiles.imagesBytes(IdxFiles.images(2, 1)));
    Files.write(from.resolve("train-labels-idx1-ubyte.gz"), IdxFiles.gzip(new byte[] {0, 0, 8, 1}));
    Files.write(from.resolve("t10k-images-idx3-ubyte"), new byte[] {1, 2, 3});
    Files.write(from.resolve("t10k-labels-idx1-ubyte"), new byte[] {4, 5, 6});

    Result r = run("--from", from.toString(), "--dest", dest.toString());

    assertNotEquals(0, r.exit(), r.output());
    assertTrue(r.output().contains("checksum mismatch for train-images-idx3-ubyte"), r.output());
    try (var left = Files.list(dest)) {
      assertFalse(left.findAny().isPresent(), "bad files must be removed from " + dest);
    }
  }

  @Test
  void secondRunWithCorrectFilesIsANoOp() throws Exception {
    Path real = IdxFiles.projectDir().resolve("data/mnist");
    assumeTrue(
        Files.isRegularFile(real.resolve("t10k-labels-idx1-ubyte")),
        "no MNIST in " + real + " (run submit/fetch-mnist.sh)");
    // An empty --from: if anything were missing the script would fail instead of fetching.
    Path empty = Files.createDirectory(dir.resolve("empty"));

    Result r = run("--from", empty.toString(), "--dest", real.toString());

    assertEquals(0, r.exit(), r.output());
    assertTrue(r.output().contains("nothing to do"), r.output());
  }
}
