package io.sparkddpm.train;

/** What tests run between a step's forward and backward pass (given to the step, not installed). */
public final class StepHooks {
  private StepHooks() {}

  /** A full GC, then time for the JDK's cleaner to free unreachable direct buffers. */
  public static void collect() {
    for (int i = 0; i < 2; i++) {
      System.gc();
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
