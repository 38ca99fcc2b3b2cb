package io.sparkddpm.train;

import java.util.stream.IntStream;

/**
 * Runs a loop over a parameter vector in chunks on the common fork-join pool. For the driver's
 * per-element work (the sum of partial gradients, Adam, EMA): each element is computed by the same
 * expression in the same order whichever thread runs its chunk, so the results are bitwise those of
 * the sequential loop, only sooner on a driver with several cores.
 */
final class Elementwise {
  /** Elements per chunk: large enough that scheduling a chunk costs little against its work. */
  static final int CHUNK = 1 << 15;

  /** The loop body over the half-open range {@code [from, to)}. */
  interface Range {
    void run(int from, int to);
  }

  /** A loop body over {@code [from, to)} that counts something (e.g. non-finite values). */
  interface Counting {
    int run(int from, int to);
  }

  private Elementwise() {}

  /** Calls {@code body} over {@code [0, size)} in chunks, in parallel when there are several. */
  static void forEach(int size, Range body) {
    count(
        size,
        (from, to) -> {
          body.run(from, to);
          return 0;
        });
  }

  /** As {@link #forEach}, returning the sum of the chunks' counts. */
  static long count(int size, Counting body) {
    int chunks = (size + CHUNK - 1) / CHUNK;
    if (chunks <= 1) {
      return body.run(0, size);
    }
    return IntStream.range(0, chunks)
        .parallel()
        .mapToLong(c -> body.run(c * CHUNK, Math.min(size, (c + 1) * CHUNK)))
        .sum();
  }
}
