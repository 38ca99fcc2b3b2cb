package io.sparkddpm.cli;

/** A command line the job cannot run with: the message says what to fix; exit code 2. */
public final class UsageException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** A usage error with a message that names the option and what was expected. */
  public UsageException(String message) {
    super(message);
  }

  /** Throws a usage error with {@code message} unless {@code ok}. */
  public static void check(boolean ok, String message) {
    if (!ok) {
      throw new UsageException(message);
    }
  }
}
