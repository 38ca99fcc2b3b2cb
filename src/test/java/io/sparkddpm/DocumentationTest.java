package io.sparkddpm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkddpm.data.IdxFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * README.md and docs/*.md against the project: the README's first commands are the ones CI and a
 * newcomer run, and every file, heading and script the pages point to exists.
 */
class DocumentationTest {
  private static final Path PROJECT = IdxFiles.projectDir();

  /** A markdown link or image: {@code [text](target)}. */
  private static final Pattern LINK = Pattern.compile("!?\\[[^\\]]*\\]\\(([^)\\s]+)\\)");

  /** A project path in code spans: a top-level folder of the project, then a file name. */
  private static final Pattern PROJECT_PATH =
      Pattern.compile("`[^`\\n]*?\\b((?:submit|conf|docker)/[A-Za-z0-9_./-]*[A-Za-z0-9_])");

  private static List<Path> pages() throws IOException {
    List<Path> pages = new ArrayList<>(List.of(PROJECT.resolve("README.md")));
    try (Stream<Path> docs = Files.list(PROJECT.resolve("docs"))) {
      docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
    }
    return pages;
  }

  @Test
  void readmeStartsWithTheQuickstartAndTheTestCommand() throws IOException {
    List<String> lines = Files.readAllLines(PROJECT.resolve("README.md"));
    int fence = lines.indexOf("```bash");
    assertTrue(fence >= 0, "README.md has no ```bash block");
    List<String> commands = new ArrayList<>();
    for (int i = fence + 1; !lines.get(i).equals("```"); i++) {
      commands.add(lines.get(i).replaceAll("\\s+#.*", ""));
    }
    assertEquals(List.of("submit/quickstart.sh", "submit/test.sh"), commands);
    for (String command : commands) {
      assertTrue(Files.isExecutable(PROJECT.resolve(command)), command + " is not executable");
    }
  }

  @Test
  void everyRelativeLinkPointsToAFileAndHeadingThatExist() throws IOException {
    List<String> broken = new ArrayList<>();
    int links = 0;
    for (Path page : pages()) {
      Matcher m = LINK.matcher(Files.readString(page));
      while (m.find()) {
        String target = m.group(1);
        if (target.matches("[a-z]+:.*")) {
          continue; // http(s), mailto: not checked offline
        }
        links++;
        String[] fileAndAnchor = target.split("#", 2);
        Path file = fileAndAnchor[0].isEmpty() ? page : page.getParent().resolve(fileAndAnchor[0]);
        if (!Files.exists(file)) {
          broken.add(PROJECT.relativize(page) + ": " + target + " (no such file)");
        } else if (fileAndAnchor.length == 2 && !anchors(file).contains(fileAndAnchor[1])) {
          broken.add(PROJECT.relativize(page) + ": " + target + " (no such heading)");
        }
      }
    }
    assertTrue(links >= 5, "only " + links + " relative links found: is the pattern right?");
    assertEquals(List.of(), broken);
  }

  @Test
  void everyScriptConfAndDockerPathTheDocsNameExists() throws IOException {
    List<String> missing = new ArrayList<>();
    int paths = 0;
    for (Path page : pages()) {
      Matcher m = PROJECT_PATH.matcher(Files.readString(page));
      while (m.find()) {
        paths++;
        if (!Files.exists(PROJECT.resolve(m.group(1)))) {
          missing.add(PROJECT.relativize(page) + ": " + m.group(1));
        }
      }
    }
    assertTrue(paths >= 20, "only " + paths + " project paths found: is the pattern right?");
    assertEquals(List.of(), missing);
  }

  /** GitHub's anchors of a page's headings: lower case, punctuation dropped, spaces as dashes. */
  private static List<String> anchors(Path page) throws IOException {
    List<String> anchors = new ArrayList<>();
    boolean inCode = false;
    for (String line : Files.readAllLines(page)) {
      if (line.startsWith("```")) {
        inCode = !inCode;
      } else if (!inCode && line.startsWith("#")) {
        String title = line.replaceFirst("^#+\\s*", "").toLowerCase(Locale.ROOT);
        anchors.add(title.replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-'));
      }
    }
    return anchors;
  }
}
