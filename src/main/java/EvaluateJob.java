/**
 * Entry point reserved for {@code spark-submit --class EvaluateJob}: the quality measure of
 * DESIGN.md (classifier FID, confidence, class histogram) is not implemented yet. It answers {@code
 * --help} and otherwise exits 2 saying so, so a pipeline that calls it fails loudly.
 */
public final class EvaluateJob {
  private EvaluateJob() {}

  /** Prints usage for --help (exit 0); anything else exits 2: not implemented yet. */
  public static void main(String[] args) {
    String usage =
        "Usage: spark-submit --class EvaluateJob app.jar --samples <dir> (not implemented yet)";
    if (args.length == 1 && (args[0].equals("--help") || args[0].equals("-h"))) {
      System.out.println(usage);
      System.exit(0);
    }
    System.err.println("EvaluateJob: not implemented yet in this version of spark-ddpm");
    System.err.println(usage);
    System.exit(2);
  }
}
