package io.sparkddpm.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link StagedOutput}: an output appears under its name only complete, a failed write leaves
 * nothing, and the clean-up removes exactly the staging copies killed writers left, nothing else.
 */
class StagedOutputTest {
  private static final Configuration CONF = new Configuration();

  @TempDir Path tmp;

  @Test
  void aDirectoryAppearsUnderItsNameOnlyWhenMovedIn() throws Exception {
    Path out = tmp.resolve("out");
    try (StagedOutput staged = StagedOutput.directory(CONF, hadoop(out))) {
      write(local(staged).resolve("a.txt"), "a");
      assertFalse(Files.exists(out), "not visible while being written");
      String staging = staged.path().getName();
      assertTrue(staging.startsWith("."), "hidden: " + staging);
      assertEquals(Optional.of("out"), StagedOutput.targetOf(staging));
      staged.replace();
    }
    assertEquals("a", Files.readString(out.resolve("a.txt")));
    assertEquals(List.of("out"), names(tmp), "no staging copy left");
  }

  @Test
  void replaceSwapsAnExistingDirectoryAndCreateRefusesOne() throws Exception {
    Path out = tmp.resolve("out");
    write(out.resolve("old.txt"), "old");
    try (StagedOutput staged = StagedOutput.directory(CONF, hadoop(out))) {
      write(local(staged).resolve("new.txt"), "new");
      IOException refused = assertThrows(IOException.class, staged::create);
      assertTrue(refused.getMessage().contains("already exists"), refused.getMessage());
      assertEquals("old", Files.readString(out.resolve("old.txt")));
      staged.replace();
    }
    assertEquals(List.of("new.txt"), names(out));
    assertEquals(List.of("out"), names(tmp));
  }

  @Test
  void aFailedWriteLeavesNothingBehind() throws Exception {
    Path out = tmp.resolve("out");
    assertThrows(
        IllegalStateException.class,
        () -> {
          try (StagedOutput staged = StagedOutput.directory(CONF, hadoop(out))) {
            write(local(staged).resolve("half.txt"), "half");
            throw new IllegalStateException("the writer fails midway");
          }
        });
    assertEquals(List.of(), names(tmp));
  }

  @Test
  void aFileIsReplacedByOneRename() throws Exception {
    Path file = tmp.resolve("metrics.jsonl");
    write(file, "old\n");
    FileSystem fs = FileSystem.getLocal(CONF);
    try (StagedOutput staged = StagedOutput.file(CONF, hadoop(file))) {
      try (var out = fs.create(staged.path(), false)) {
        out.write("new\n".getBytes(StandardCharsets.UTF_8));
      }
      staged.replace();
    }
    assertEquals("new\n", Files.readString(file));
    assertEquals(List.of("metrics.jsonl"), names(tmp));
  }

  @Test
  void aKilledWritersStagingCopyIsRemovedAndUnrelatedHiddenNamesStay() throws Exception {
    Path out = tmp.resolve("out");
    // A writer that was killed: its staging folder, written by the helper, is never closed.
    StagedOutput killed = StagedOutput.directory(CONF, hadoop(out));
    write(local(killed).resolve("half.txt"), "half");
    // Another output's writer, still running, and names that only look alike.
    StagedOutput other = StagedOutput.directory(CONF, hadoop(tmp.resolve("other")));
    List<String> unrelated = List.of(".git", ".out.tmp-x1", ".out.tmp-", "out.tmp-1", ".outtmp-1");
    for (String name : unrelated) {
      Files.createDirectories(tmp.resolve(name));
    }

    try (StagedOutput next = StagedOutput.directory(CONF, hadoop(out))) {
      assertFalse(Files.exists(local(killed)), "the killed writer's copy");
      assertTrue(Files.exists(local(other)), "another output's copy stays");
      write(local(next).resolve("whole.txt"), "whole");
      next.replace();
    }
    assertEquals(List.of("whole.txt"), names(out));
    for (String name : unrelated) {
      assertTrue(Files.isDirectory(tmp.resolve(name)), name + " is not a staging name");
    }

    // In a folder one job owns, every staging copy goes: the other output's too.
    StagedOutput.cleanUpUnder(FileSystem.getLocal(CONF), hadoop(tmp));
    assertFalse(Files.exists(local(other)));
    for (String name : unrelated) {
      assertTrue(Files.isDirectory(tmp.resolve(name)), name + " is not a staging name");
    }
  }

  @Test
  void cleanUpUnderFinishesAnInterruptedReplacement() throws Exception {
    // Killed after "final" became ".final.previous" and before ".final.next" was moved in.
    write(tmp.resolve(".final.previous/v1.txt"), "v1");
    write(tmp.resolve(".final.next/v2.txt"), "v2");

    StagedOutput.cleanUpUnder(FileSystem.getLocal(CONF), hadoop(tmp));

    assertEquals(List.of("final"), names(tmp));
    assertEquals(List.of("v2.txt"), names(tmp.resolve("final")));
  }

  private static org.apache.hadoop.fs.Path hadoop(Path p) {
    return new org.apache.hadoop.fs.Path(p.toString());
  }

  private static Path local(StagedOutput staged) {
    return Path.of(staged.path().toUri().getPath());
  }

  private static void write(Path file, String text) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, text, StandardCharsets.UTF_8);
  }

  /** Names in {@code dir}, sorted, without Hadoop's .crc checksum files. */
  private static List<String> names(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString())
          .filter(n -> !n.endsWith(".crc"))
          .sorted()
          .toList();
    }
  }
}
