/**
 * Entry point for {@code spark-submit --class SampleJob app.jar --model <checkpoint> --output <dir>
 * --steps 50}. Delegates to {@link io.sparkddpm.sample.SampleJob}; {@code --help} lists the
 * options.
 */
public final class SampleJob {
  private SampleJob() {}

  /** Exits 0 when done, 1 on failure, 2 on a bad command line or input. */
  public static void main(String[] args) {
    System.exit(
        io.sparkddpm.cli.JobRunner.run("SampleJob", new io.sparkddpm.sample.SampleJob(), args));
  }
}
