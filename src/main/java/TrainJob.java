/**
 * Entry point for {@code spark-submit --class TrainJob app.jar --data <path> --output <dir>}.
 * Delegates to {@link io.sparkddpm.train.TrainJob}; run with {@code --help} for the options.
 */
public final class TrainJob {
  private TrainJob() {}

  /** Exits 0 when done, 1 on failure, 2 on a bad command line. */
  public static void main(String[] args) {
    System.exit(
        io.sparkddpm.cli.JobRunner.run("TrainJob", new io.sparkddpm.train.TrainJob(), args));
  }
}
