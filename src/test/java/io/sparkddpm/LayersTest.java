package io.sparkddpm;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.lang.ArchRule;
import io.sparkddpm.base.BadInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The package graph of the compiled main classes is the layering of DESIGN.md: every import points
 * down, none sideways within a layer, none in a cycle. A package's sub-packages belong to it
 * ({@code train.persistent} is part of {@code train}).
 */
class LayersTest {
  private static final String BASE = "io.sparkddpm";

  /**
   * The layers, bottom up: a package may use the packages of the layers below its own and nothing
   * else of the project. This list is the one declaration of the order.
   */
  private static final List<List<String>> LAYERS =
      List.of(
          List.of("base"), // what every layer may use: the neutral bad-input exception
          List.of("cli", "data", "diffusion"), // command lines; images in; the diffusion maths
          List.of("io"), // bytes in and out: safetensors, PNG, Parquet, atomic outputs
          List.of("model"), // the UNet as DJL blocks, its weights and flat layout
          List.of("checkpoint", "executor", "tracking"), // diffusers' layout; executor-JVM state;
          // MLflow and TensorBoard reporting
          List.of("sample"), // the reverse process and SampleJob
          List.of("train", "eval")); // training (epoch grids use sample) and evaluation

  private static JavaClasses classes;

  /** The main classes only: the folder (or jar) the build compiled them into, not the tests. */
  @BeforeAll
  static void importMainClasses() throws Exception {
    Path main =
        Path.of(
            BadInputException.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    classes = new ClassFileImporter().importPath(main);
  }

  @Test
  void importsPointOnlyDownTheLayers() {
    List<ArchRule> rules = new ArrayList<>();
    for (int level = 0; level < LAYERS.size(); level++) {
      for (String pkg : LAYERS.get(level)) {
        List<String> notBelow = new ArrayList<>();
        for (List<String> layer : LAYERS.subList(level, LAYERS.size())) {
          for (String other : layer) {
            if (!other.equals(pkg)) {
              notBelow.add(BASE + "." + other + "..");
            }
          }
        }
        if (!notBelow.isEmpty()) {
          rules.add(
              noClasses()
                  .that()
                  .resideInAPackage(BASE + "." + pkg + "..")
                  .should()
                  .dependOnClassesThat()
                  .resideInAnyPackage(notBelow.toArray(String[]::new))
                  .because(pkg + " is in layer " + level + " of LayersTest.LAYERS"));
        }
      }
    }
    List<String> violations = new ArrayList<>();
    for (ArchRule rule : rules) {
      violations.addAll(rule.evaluate(classes).getFailureReport().getDetails());
    }
    assertEquals(List.of(), violations, "imports that point up or sideways");
  }

  @Test
  void noCycleBetweenPackages() {
    slices().matching(BASE + ".(*)..").should().beFreeOfCycles().check(classes);
  }

  /** A new package has to be given its place in the layers before it can be used. */
  @Test
  void everyPackageHasALayer() {
    Set<String> declared = LAYERS.stream().flatMap(List::stream).collect(Collectors.toSet());
    Set<String> found = new TreeSet<>();
    for (JavaClass c : classes) {
      String pkg = c.getPackageName();
      if (pkg.isEmpty()) {
        continue; // the entry classes TrainJob, SampleJob, EvaluateJob: above every layer
      }
      if (pkg.equals(BASE) || !pkg.startsWith(BASE + ".")) {
        found.add("(" + c.getName() + " outside a package of its own)");
        continue;
      }
      String top = pkg.substring(BASE.length() + 1).split("\\.")[0];
      if (!declared.contains(top)) {
        found.add(top + " (not in LayersTest.LAYERS)");
      }
    }
    assertEquals(Set.of(), found, "packages without a layer");
    Set<String> empty = new TreeSet<>(declared);
    for (JavaClass c : classes) {
      if (c.getPackageName().startsWith(BASE + ".")) {
        empty.remove(c.getPackageName().substring(BASE.length() + 1).split("\\.")[0]);
      }
    }
    assertEquals(Set.of(), empty, "layers naming packages that hold no classes");
  }

  /** STYLE rule 1: each package says its one job in a package-info.java. */
  @Test
  void everyPackageSaysItsJob() throws IOException {
    Path root = Path.of("src/main/java/io/sparkddpm");
    List<String> missing;
    try (Stream<Path> dirs = Files.walk(root)) {
      missing =
          dirs.filter(Files::isDirectory)
              .filter(LayersTest::holdsJava)
              .filter(d -> !Files.exists(d.resolve("package-info.java")))
              .map(d -> root.relativize(d).toString())
              .sorted()
              .toList();
    }
    assertEquals(List.of(), missing, "packages without a package-info.java");
  }

  private static boolean holdsJava(Path dir) {
    try (Stream<Path> files = Files.list(dir)) {
      return files.anyMatch(f -> f.toString().endsWith(".java"));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
