package io.sparkddpm.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link DirectoryReplace#moveIn}, which SampleJob and EvaluateJob ({@code --overwrite}) and the
 * classifier use to publish a finished output: the old output stays whole until the new one is in
 * place, and an interrupted earlier replacement is finished first.
 */
class DirectoryReplaceTest {
  @TempDir Path tmp;

  @Test
  void moveInReplacesAnExistingDirectoryAndLeavesNoSpares() throws Exception {
    FileSystem fs = FileSystem.getLocal(new Configuration());
    Path out = tmp.resolve("out");
    write(out.resolve("old.txt"), "old");
    Path staged = tmp.resolve(".out.tmp-1");
    write(staged.resolve("new.txt"), "new");

    DirectoryReplace.moveIn(fs, hadoop(staged), hadoop(out));

    assertEquals("new", Files.readString(out.resolve("new.txt")));
    assertFalse(Files.exists(out.resolve("old.txt")), "the old output's files are gone");
    assertEquals(List.of("out"), names(tmp), "no staging, .next or .previous left");
  }

  @Test
  void moveInCreatesAMissingDirectory() throws Exception {
    FileSystem fs = FileSystem.getLocal(new Configuration());
    Path staged = tmp.resolve(".fresh.tmp-1");
    write(staged.resolve("a.txt"), "a");

    DirectoryReplace.moveIn(fs, hadoop(staged), hadoop(tmp.resolve("fresh")));

    assertEquals("a", Files.readString(tmp.resolve("fresh/a.txt")));
    assertEquals(List.of("fresh"), names(tmp));
  }

  @Test
  void anEarlierCrashBetweenTheRenamesIsRecoveredBeforeTheNewOneMovesIn() throws Exception {
    FileSystem fs = FileSystem.getLocal(new Configuration());
    // A crash after "out" became ".out.previous" and before ".out.next" was moved in.
    write(tmp.resolve(".out.previous/v1.txt"), "v1");
    write(tmp.resolve(".out.next/v2.txt"), "v2");
    assertEquals(
        hadoop(tmp.resolve(".out.next")),
        DirectoryReplace.resolve(fs, hadoop(tmp.resolve("out"))),
        "a reader finds the complete newer one meanwhile");
    Path staged = tmp.resolve(".out.tmp-2");
    write(staged.resolve("v3.txt"), "v3");

    DirectoryReplace.moveIn(fs, hadoop(staged), hadoop(tmp.resolve("out")));

    assertEquals("v3", Files.readString(tmp.resolve("out/v3.txt")));
    assertEquals(List.of("v3.txt"), names(tmp.resolve("out")));
    assertEquals(List.of("out"), names(tmp));
  }

  @Test
  void aFailedRenameLeavesTheOldDirectoryInPlace() throws Exception {
    FileSystem fs = FileSystem.getLocal(new Configuration());
    Path out = tmp.resolve("out");
    write(out.resolve("old.txt"), "old");

    java.io.IOException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            java.io.IOException.class,
            () -> DirectoryReplace.moveIn(fs, hadoop(tmp.resolve(".missing")), hadoop(out)));

    assertTrue(e.getMessage().contains(".missing"), e.getMessage());
    assertEquals("old", Files.readString(out.resolve("old.txt")));
  }

  private static org.apache.hadoop.fs.Path hadoop(Path p) {
    return new org.apache.hadoop.fs.Path(p.toString()); // no trailing slash, as from a CLI path
  }

  private static void write(Path file, String text) throws Exception {
    Files.createDirectories(file.getParent());
    Files.writeString(file, text, StandardCharsets.UTF_8);
  }

  /** Names in {@code dir}, sorted, without Hadoop's .crc checksum files. */
  private static List<String> names(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString())
          .filter(n -> !n.endsWith(".crc"))
          .sorted()
          .toList();
    }
  }
}
