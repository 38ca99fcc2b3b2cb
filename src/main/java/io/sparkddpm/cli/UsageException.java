package io.sparkddpm.cli;

import io.sparkddpm.base.BadInputException;

/**
 * A command line the job cannot run with: the message says what to fix; exit code 2, like every
 * {@link BadInputException}.
 */
public final class UsageException extends BadInputException {
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
