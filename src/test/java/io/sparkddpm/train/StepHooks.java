package io.sparkddpm.train;

/** Test access to GradientStep's hook between the forward and the backward pass. */
public final class StepHooks {
  private StepHooks() {}

  /**
   * From now on, every step asks the JVM for a garbage collection after its forward pass and waits
   * for the collected direct buffers to be freed, before its backward pass.
   */
  public static void collectGarbageBetweenForwardAndBackward() {
    GradientStep.betweenForwardAndBackward = StepHooks::collect;
  }

  /** Steps run without the hook again. */
  public static void reset() {
    GradientStep.betweenForwardAndBackward = () -> {};
  }

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
