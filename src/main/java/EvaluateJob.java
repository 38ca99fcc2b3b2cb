/**
 * Entry point for {@code spark-submit --class EvaluateJob app.jar --samples <SampleJob output>
 * --data <MNIST> --output <dir>}. Delegates to {@link io.sparkddpm.eval.EvaluateJob}; {@code
 * --help} lists the options.
 */
public final class EvaluateJob {
  private EvaluateJob() {}

  /** Exits 0 when done, 1 on failure (or FID above --max-fid), 2 on a bad command line or input. */
  public static void main(String[] args) {
    System.exit(
        io.sparkddpm.cli.JobRunner.run("EvaluateJob", new io.sparkddpm.eval.EvaluateJob(), args));
  }
}
