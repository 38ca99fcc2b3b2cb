package io.sparkddpm.cli;

import io.sparkddpm.base.BadInputException;
import org.apache.spark.sql.SparkSession;

/**
 * What every entry class does: parse options before touching Spark (so {@code --help} and usage
 * errors are instant), start the session that spark-submit configured, run, stop, and map the
 * outcome to an exit code: 0 done, 1 failed, 2 bad usage or bad input ({@link BadInputException},
 * which {@link UsageException} is one of); after SIGTERM the JVM exits with 143 once the job has
 * stopped ({@link GracefulStop}).
 */
public final class JobRunner {
  private JobRunner() {}

  /** A job: its options (those of its configuration record) and what it does with them. */
  public interface Job<C extends Record> {
    /** The declared options. */
    Options<C> options();

    /** Runs the job; returns a one-line summary for the log. */
    String run(SparkSession spark, C config) throws Exception;

    /**
     * Whether the job itself stops at a safe point once {@link GracefulStop#requested()} (training:
     * between steps). If not, a shutdown cancels the job's Spark jobs and it publishes nothing.
     */
    default boolean stopsBetweenSteps() {
      return false;
    }
  }

  /** Runs {@code job} with {@code args} and returns the process exit code. */
  public static <C extends Record> int run(String appName, Job<C> job, String[] args) {
    Options<C> options = job.options();
    C config;
    try {
      if (options.helpRequested(args)) {
        System.out.print(options.usage());
        return 0;
      }
      config = options.parse(args);
    } catch (BadInputException | IllegalArgumentException e) {
      System.err.println(appName + ": " + e.getMessage());
      System.err.print(options.usage());
      return 2;
    }
    SparkSession spark = SparkSession.builder().appName(appName).getOrCreate();
    Runnable onStop =
        job.stopsBetweenSteps()
            ? () -> {}
            : () -> {
              if (!spark.sparkContext().isStopped()) {
                spark.sparkContext().cancelAllJobs();
              }
            };
    GracefulStop stop = GracefulStop.install(appName, onStop);
    try {
      System.out.println(job.run(spark, config));
      return GracefulStop.requested() ? GracefulStop.EXIT_CODE : 0;
    } catch (BadInputException e) {
      System.err.println(appName + ": " + e.getMessage());
      return 2;
    } catch (Exception e) {
      if (GracefulStop.requested()) {
        System.err.println(appName + " stopped by a shutdown; its output was not published");
        return GracefulStop.EXIT_CODE;
      }
      System.err.println(appName + " failed: " + e.getMessage());
      e.printStackTrace();
      return 1;
    } finally {
      spark.stop();
      stop.close();
    }
  }
}
