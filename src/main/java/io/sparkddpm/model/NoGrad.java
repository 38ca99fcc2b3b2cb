package io.sparkddpm.model;

import ai.djl.pytorch.jni.JniUtils;

/**
 * libtorch's grad mode switched off for the current thread until {@link #close}, which puts back
 * what was there. Grad mode is per thread and on by default, also in a Spark task thread: in-place
 * writes to parameters that require grad are refused while it is on, and a forward computed with it
 * keeps its autograd graph alive. The engine must be loaded first (a manager created), since the
 * calls go to its native library.
 *
 * <pre>{@code
 * try (NoGrad off = NoGrad.enter()) {
 *   ... // forwards and in-place writes without autograd
 * }
 * }</pre>
 */
public final class NoGrad implements AutoCloseable {
  private final boolean previous;

  private NoGrad(boolean previous) {
    this.previous = previous;
  }

  /** Switches grad mode off for this thread and remembers what it was. */
  public static NoGrad enter() {
    NoGrad scope = new NoGrad(JniUtils.isGradMode());
    JniUtils.setGradMode(false);
    return scope;
  }

  /** Restores the grad mode this thread had before {@link #enter}. */
  @Override
  public void close() {
    JniUtils.setGradMode(previous);
  }
}
