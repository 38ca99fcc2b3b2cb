package io.sparkddpm.it;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A spark-submit command line for one job of the packaged jar: Spark's options, then {@code --class
 * JOB app.jar}, then the job's options. Defaults are what every IT wants ({@code local[2]}, no UI,
 * libtorch shipped with {@code --jars}); {@link #onCluster} adds what a standalone cluster of this
 * machine needs.
 */
final class Submit {
  private final String jobClass;
  private String master = "local[2]";
  private boolean nativeJar = true;
  private final List<String> spark = new ArrayList<>(List.of("--conf", "spark.ui.enabled=false"));
  private final List<String> job = new ArrayList<>();

  private Submit(String jobClass) {
    this.jobClass = jobClass;
  }

  /** {@code --class jobClass} ({@code TrainJob}, {@code SampleJob} or {@code EvaluateJob}). */
  static Submit job(String jobClass) {
    return new Submit(jobClass);
  }

  /**
   * TrainJob on the tiny UNet ({@link SparkSubmitIT#tinyConfig}) over 128 MNIST images in batches
   * of 32, writing to {@code output}: the run the ITs start from.
   */
  static Submit tinyTraining(Path work, Path output) throws Exception {
    return job("TrainJob")
        .args(
            "--data",
            Launcher.PROJECT.resolve("data/mnist").toString(),
            "--output",
            output.toString(),
            "--model-config",
            SparkSubmitIT.tinyConfig(work).toString(),
            "--limit",
            "128",
            "--batch-size",
            "32");
  }

  /** {@code --master}. */
  Submit master(String url) {
    master = url;
    return this;
  }

  /**
   * A standalone cluster at {@code url} on this machine: two 1-core executors of 2 GB, the driver
   * on the loopback address, executors offline and on huge pages like the driver.
   */
  Submit onCluster(String url) {
    return master(url)
        .conf("spark.driver.host", "127.0.0.1")
        .conf("spark.executor.memory", "2g")
        .conf("spark.executor.cores", "1")
        .conf("spark.cores.max", "2")
        .conf("spark.executor.extraJavaOptions", "-Dai.djl.offline=true")
        .conf("spark.executorEnv.GLIBC_TUNABLES", "glibc.malloc.hugetlb=1");
  }

  /** {@code --conf key=value}. */
  Submit conf(String key, String value) {
    spark.addAll(List.of("--conf", key + "=" + value));
    return this;
  }

  /** Leaves libtorch out of {@code --jars}: for command lines refused before any engine loads. */
  Submit withoutNativeJar() {
    nativeJar = false;
    return this;
  }

  /** Options of the job, after the jar. */
  Submit args(String... options) {
    job.addAll(List.of(options));
    return this;
  }

  /** The whole argument list of spark-submit. */
  List<String> list() throws Exception {
    List<String> all = new ArrayList<>(List.of("--master", master));
    all.addAll(spark);
    if (nativeJar) {
      all.addAll(List.of("--jars", Launcher.nativeJar().toString()));
    }
    all.addAll(List.of("--class", jobClass, Launcher.JAR.toString()));
    all.addAll(job);
    return all;
  }

  /** Runs spark-submit to completion, its output in {@code log} under target/it-logs. */
  int run(String log) throws Exception {
    return Launcher.submit(log, list().toArray(String[]::new));
  }

  /**
   * The spark-submit process, not started, with {@code extraClasspath} on the driver's classpath.
   */
  ProcessBuilder process(String log, List<Path> extraClasspath) throws Exception {
    return Launcher.java("org.apache.spark.deploy.SparkSubmit", log, list(), extraClasspath);
  }
}
