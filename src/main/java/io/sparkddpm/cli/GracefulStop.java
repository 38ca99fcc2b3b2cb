package io.sparkddpm.cli;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.util.ShutdownHookManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An orderly stop when the driver's JVM is told to end (SIGTERM from Kubernetes, YARN, Airflow or a
 * spot reclaim; SIGINT from Ctrl-C): the job is asked to stop and given {@link #BOUND} to finish,
 * before Spark's own shutdown hooks stop the SparkContext under it.
 *
 * <p>Why a hook ahead of Spark's: without it, Spark's hook (Hadoop shutdown priority 40, where
 * SparkContext stops at its own priority 50) tore the context down while a task thread was still
 * inside libtorch's backward pass, and the JVM's exit then crashed libtorch (SIGSEGV in {@code
 * at::getAccelerator}, an {@code hs_err} file). This hook runs at {@link #PRIORITY}, before Spark's
 * and before Hadoop's file system cache closes (priority 10), so the job can still run Spark jobs
 * and write its checkpoint; the JVM exits with the signal's code (143 for SIGTERM, 130 for SIGINT)
 * once the job has returned and the session is stopped.
 *
 * <p>A training job checks {@link #requested()} between steps and stops there; other jobs are
 * stopped by the {@code onStop} action given to {@link #install} (cancelling their Spark jobs),
 * which leaves their staged output unpublished.
 */
public final class GracefulStop implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(GracefulStop.class);

  /** Hadoop shutdown priority of the hook: above Spark's (40), so it runs first. */
  public static final int PRIORITY = 60;

  /**
   * The longest the hook waits for the job: under Kubernetes' default grace period of 30 s, which
   * ends in SIGKILL (a SIGKILL loses at most the steps since the last checkpoint).
   */
  public static final Duration BOUND = Duration.ofSeconds(25);

  /** What the JVM exits with after SIGTERM (128 + 15). */
  public static final int EXIT_CODE = 143;

  private static volatile boolean requested;

  private final String app;
  private final Runnable onStop;
  private final CountDownLatch finished = new CountDownLatch(1);
  private final Runnable hook = this::stopJob;

  private GracefulStop(String app, Runnable onStop) {
    this.app = app;
    this.onStop = onStop;
  }

  /**
   * Installs the hook for one job run; {@code onStop} runs in the hook, every 200 ms, while the job
   * is still running at shutdown. {@link #close} tells the hook the job has ended.
   */
  public static GracefulStop install(String app, Runnable onStop) {
    GracefulStop s = new GracefulStop(app, onStop);
    ShutdownHookManager.get()
        .addShutdownHook(s.hook, PRIORITY, BOUND.toSeconds() + 5, TimeUnit.SECONDS);
    return s;
  }

  /** True once the JVM has begun to shut down: a job should stop at its next safe point. */
  public static boolean requested() {
    return requested;
  }

  private void stopJob() {
    requested = true;
    if (finished.getCount() == 0) {
      return; // the job has ended: an ordinary exit
    }
    long t0 = System.nanoTime();
    LOG.warn(
        "{}: shutdown requested (SIGTERM or SIGINT); stopping within {} s", app, BOUND.toSeconds());
    long deadline = t0 + BOUND.toNanos();
    try {
      // Repeated until the job returns: a job that is between two Spark jobs when the signal
      // comes would otherwise start its next one after the only cancellation.
      do {
        onStop.run();
        if (System.nanoTime() > deadline) {
          LOG.error(
              "{}: did not stop within {} s; Spark shuts down under it", app, BOUND.toSeconds());
          return;
        }
      } while (!finished.await(200, TimeUnit.MILLISECONDS));
      LOG.warn(
          "{}: stopped in {} s; exiting",
          app,
          String.format("%.1f", (System.nanoTime() - t0) / 1e9));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      LOG.error("{}: stopping failed: {}", app, e.toString());
    }
  }

  /** The job has returned and its session is stopped; a later shutdown need not wait. */
  @Override
  public void close() {
    finished.countDown();
    if (!ShutdownHookManager.get().isShutdownInProgress()) {
      ShutdownHookManager.get().removeShutdownHook(hook);
    }
  }
}
