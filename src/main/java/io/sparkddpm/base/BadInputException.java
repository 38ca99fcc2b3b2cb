package io.sparkddpm.base;

/**
 * Input the job cannot use (a data file, a checkpoint, an option's value): the message names the
 * file, row or field, or the option, and says what to fix. The command line maps it to exit code 2;
 * other callers see it as an ordinary unchecked exception.
 */
public class BadInputException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Bad input described by {@code message}, which names what is wrong and where. */
  public BadInputException(String message) {
    super(message);
  }

  /** Bad input described by {@code message}, caused by {@code cause}. */
  public BadInputException(String message, Throwable cause) {
    super(message, cause);
  }

  /** Throws a {@link BadInputException} with {@code message} unless {@code ok}. */
  public static void check(boolean ok, String message) {
    if (!ok) {
      throw new BadInputException(message);
    }
  }
}
