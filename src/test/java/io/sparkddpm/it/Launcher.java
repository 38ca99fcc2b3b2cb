package io.sparkddpm.it;

import io.sparkddpm.data.IdxFiles;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Starts real Spark processes from the jars Maven resolved (target/spark-classpath.txt, written by
 * {@code mvn package}): Spark's launcher class for spark-submit, and a standalone master and
 * workers. Output goes to log files under target/it-logs.
 */
final class Launcher {
  private Launcher() {}

  static final Path PROJECT = IdxFiles.projectDir();
  static final Path TARGET = PROJECT.resolve(System.getProperty("build.dir", "target"));
  static final Path JAR = TARGET.resolve("spark-ddpm.jar"); // pom.xml's finalName
  static final Path LOGS = TARGET.resolve("it-logs");

  /** The JVM options Spark needs on Java 17: the project's one list, a java argument file. */
  static final String OPENS = "@" + PROJECT.resolve("conf/java-opens.args");

  static String sparkClasspath() throws IOException {
    Path file = TARGET.resolve("spark-classpath.txt");
    if (!Files.exists(file)) {
      throw new IllegalStateException(file + " is missing: run mvn package first");
    }
    return Files.readString(file).trim();
  }

  static Path nativeJar() throws IOException {
    try (var files = Files.list(TARGET.resolve("lib"))) {
      return files
          .filter(p -> p.getFileName().toString().startsWith("pytorch-native-"))
          .findFirst()
          .orElseThrow(() -> new IllegalStateException("no libtorch jar in target/lib"));
    }
  }

  /** A JVM running {@code mainClass} on the Spark classpath, its output in LOGS/{@code log}. */
  static ProcessBuilder java(String mainClass, String log, List<String> args) throws IOException {
    return java(mainClass, log, args, List.of());
  }

  /**
   * As {@link #java(String, String, List)}, with {@code extraClasspath} after Spark's jars (the
   * test classes, for a test-only Hadoop file system).
   */
  static ProcessBuilder java(
      String mainClass, String log, List<String> args, List<Path> extraClasspath)
      throws IOException {
    StringBuilder classpath = new StringBuilder(sparkClasspath());
    for (Path p : extraClasspath) {
      classpath.append(File.pathSeparator).append(p);
    }
    Files.createDirectories(LOGS);
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add(OPENS);
    cmd.addAll(
        List.of(
            "-Xmx3g",
            "-Dai.djl.offline=true",
            "-Dlog4j2.configurationFile=" + PROJECT.resolve("conf/log4j2.properties"),
            "-cp",
            classpath.toString(),
            mainClass));
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(PROJECT.toFile());
    pb.environment().put("GLIBC_TUNABLES", "glibc.malloc.hugetlb=1");
    pb.redirectErrorStream(true).redirectOutput(LOGS.resolve(log).toFile());
    return pb;
  }

  /** Runs spark-submit with {@code args} to completion; returns the exit code. */
  static int submit(String log, String... args) throws Exception {
    Process p = java("org.apache.spark.deploy.SparkSubmit", log, Arrays.asList(args)).start();
    if (!p.waitFor(10, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError(
          "spark-submit did not finish in 10 minutes; see " + LOGS.resolve(log));
    }
    return p.exitValue();
  }

  static String log(String name) throws IOException {
    return Files.readString(LOGS.resolve(name));
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /**
   * A SPARK_HOME whose jars/ holds the Maven-resolved Spark jars (links): a standalone worker
   * builds executor classpaths from it.
   */
  static Path sparkHome() throws IOException {
    Path home = TARGET.resolve("it-spark-home");
    Path jars = home.resolve("jars");
    if (!Files.isDirectory(jars)) {
      Files.createDirectories(jars);
      for (String entry : sparkClasspath().split(File.pathSeparator)) {
        Path jar = Path.of(entry);
        Path link = jars.resolve(jar.getFileName());
        if (!Files.exists(link)) {
          Files.createSymbolicLink(link, jar);
        }
      }
    }
    return home;
  }
}
