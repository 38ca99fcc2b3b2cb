package io.sparkddpm.train.persistent;

import io.sparkddpm.model.UNetConfig;
import io.sparkddpm.train.GradientSource;
import io.sparkddpm.train.GradientStep;
import io.sparkddpm.train.SparkGradients;
import io.sparkddpm.train.StepPlan;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.spark.api.java.JavaFutureAction;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.rdd.RDD;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

/**
 * Partial gradients from one long-lived Spark barrier stage instead of one job per step. The stage
 * is launched at the first step; its tasks (one per shard, all started together or not at all) keep
 * the model and shard, and every {@link #compute} sends them the step's batch and weights and reads
 * their partials back in partition order, so the driver reduces exactly as in per-step mode and the
 * weights are bitwise the same.
 *
 * <p>The driver's state is authoritative: if a task fails, the connection breaks or the stage ends,
 * the whole stage is cancelled and launched again and the same step is sent again (a step is a pure
 * function of the weights and the plan), up to {@code retries} times without a completed step in
 * between.
 */
public final class PersistentGradients implements GradientSource {
  private static final Logger LOG = LoggerFactory.getLogger(PersistentGradients.class);
  private static final ClassTag<Long> LONG = ClassTag$.MODULE$.apply(Long.class);

  private final JavaSparkContext sc;
  private final SparkGradients shards;
  private final String configJson;
  private final int retries;
  private final int timeoutMs;
  private final Endpoint endpoint;
  private final long weightsIdBase;

  private Launch current;
  private long launches;
  private long weightsCount;
  private int failuresInARow;
  private StepPlan first;
  private Exchange exchange;

  /** The stage's Spark job and the tasks' connections, in partition order. */
  private record Launch(long id, JavaFutureAction<List<Long>> job, Exchange.Peer[] peers) {}

  /**
   * Serves the shards {@code shards} holds (cached on the executors) with a model of {@code
   * config}; the endpoint listens on {@code spark.driver.host} until {@link #close()}. {@code
   * timeout} bounds every wait: for the tasks to connect, and for a step's partials.
   */
  public PersistentGradients(
      JavaSparkContext sc, SparkGradients shards, UNetConfig config, int retries, Duration timeout)
      throws IOException {
    this.sc = sc;
    this.shards = shards;
    this.configJson = config.toJson();
    this.retries = retries;
    this.timeoutMs = Math.toIntExact(timeout.toMillis());
    String host = sc.getConf().get("spark.driver.host", InetAddress.getLocalHost().getHostName());
    this.endpoint = new Endpoint(InetAddress.getByName(host));
    // Weight ids the executor model cache compares: random per run, so that two runs in one
    // executor JVM never mistake each other's weights; far above Spark's broadcast ids.
    this.weightsIdBase = (new SecureRandom().nextLong() >>> 2) | (1L << 61);
  }

  @Override
  public List<GradientStep.Partial> compute(StepPlan plan, float[] params) {
    checkConstant(plan, params);
    while (true) {
      try {
        if (current == null) {
          current = launch(plan, params.length);
        }
        List<GradientStep.Partial> partials =
            exchange.step(
                current.peers(),
                plan,
                params,
                weightsIdBase + weightsCount++,
                plan.failFirstAttempt() && current.id() == 0,
                patience(current));
        failuresInARow = 0;
        return partials;
      } catch (IOException | RuntimeException e) {
        String why = cause(e);
        abandon();
        if (++failuresInARow > retries) {
          throw new IllegalStateException(
              String.format(
                  "persistent stage failed %d times in a row at step %d (--stage-retries %d);"
                      + " last failure: %s",
                  failuresInARow, plan.step() + 1, retries, why),
              e);
        }
        LOG.warn(
            "persistent stage failed at step {} ({}); launching it again from the driver's state"
                + " ({} of {} retries)",
            plan.step() + 1,
            why,
            failuresInARow,
            retries);
      }
    }
  }

  /** Starts the barrier stage and waits until each of its tasks has connected. */
  private Launch launch(StepPlan plan, int params) throws IOException {
    long id = launches++;
    int partitions = shards.shards();
    endpoint.expect(id, partitions);
    InetSocketAddress at = endpoint.address();
    PersistentTask task =
        new PersistentTask(
            at.getHostString(),
            at.getPort(),
            endpoint.secret(),
            id,
            configJson,
            plan.seed(),
            plan.alphasCumprod(),
            plan.predictionType(),
            plan.range(),
            plan.microBatch(),
            plan.condDropout(),
            plan.precision(),
            Math.toIntExact(shards.datasetSize()),
            params,
            timeoutMs);
    sc.setJobDescription("persistent training stage, launch " + (id + 1));
    RDD<Long> stage =
        shards.cachedShards().rdd().barrier().mapPartitions(task.asFunction(), false, LONG);
    JavaFutureAction<List<Long>> job = JavaRDD.fromRDD(stage, LONG).collectAsync();
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    Launch pending = new Launch(id, job, new Exchange.Peer[0]);
    try {
      var sockets = endpoint.await(id, patience(pending, deadline, "the tasks to connect"));
      Exchange.Peer[] peers = new Exchange.Peer[sockets.length];
      for (int p = 0; p < peers.length; p++) {
        peers[p] = new Exchange.Peer(sockets[p]);
      }
      LOG.info("persistent stage launch {}: {} tasks connected", id + 1, peers.length);
      return new Launch(id, job, peers);
    } catch (IOException | RuntimeException e) {
      current = pending;
      throw e;
    }
  }

  private Wire.Patience patience(Launch launch) {
    return patience(
        launch,
        System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs),
        "the step's partials");
  }

  /** Gives up waiting when the stage's job has ended or {@code deadline} has passed. */
  private Wire.Patience patience(Launch launch, long deadline, String what) {
    return () -> {
      if (launch.job().isDone()) {
        throw new IOException("the stage's job ended: " + outcome(launch.job()));
      }
      if (System.nanoTime() > deadline) {
        throw new SocketTimeoutException(
            "waited " + timeoutMs + " ms for " + what + " (--exchange-timeout)");
      }
    };
  }

  /** Closes the connections, cancels the stage's job and waits (bounded) for it to end. */
  private void abandon() {
    Launch l = current;
    current = null;
    if (l == null) {
      return;
    }
    for (Exchange.Peer p : l.peers()) {
      p.close();
    }
    l.job().cancel(true);
    try {
      l.job().get(timeoutMs, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      LOG.warn("the abandoned persistent stage did not end within {} ms", timeoutMs);
    } catch (ExecutionException | java.util.concurrent.CancellationException e) {
      // expected: it failed or was cancelled
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * The seed, schedule, pixel range and micro-batch go into the tasks once: they must not change.
   */
  private void checkConstant(StepPlan plan, float[] params) {
    if (first == null) {
      first = plan;
      exchange = new Exchange(params.length, shards.shards());
    } else if (plan.seed() != first.seed()
        || plan.range() != first.range()
        || plan.microBatch() != first.microBatch()
        || plan.predictionType() != first.predictionType()
        || plan.condDropout() != first.condDropout()
        || plan.precision() != first.precision()
        || !Arrays.equals(plan.alphasCumprod(), first.alphasCumprod())
        || params.length != exchange.params()) {
      throw new IllegalArgumentException(
          "seed, schedule, pixel range, micro-batch and model are fixed per run");
    }
  }

  private static String outcome(JavaFutureAction<?> job) {
    try {
      job.get(0, TimeUnit.MILLISECONDS);
      return "finished";
    } catch (ExecutionException e) {
      return cause(e);
    } catch (java.util.concurrent.CancellationException e) {
      return "cancelled";
    } catch (TimeoutException | InterruptedException e) {
      return "running";
    }
  }

  /** The innermost message of {@code e}, for one log line. */
  private static String cause(Throwable e) {
    Throwable c = e;
    List<Throwable> seen = new ArrayList<>();
    while (c.getCause() != null && !seen.contains(c.getCause())) {
      seen.add(c);
      c = c.getCause();
    }
    String first = e.getMessage() == null ? e.toString() : e.getMessage();
    return c == e ? first : first.lines().findFirst().orElse("") + " <- " + c;
  }

  /** Where the tasks connect; for tests. */
  public InetSocketAddress endpointAddress() {
    return endpoint.address();
  }

  /** Connections refused so far (wrong secret, unexpected task, malformed hello). */
  public int refusedConnections() {
    return endpoint.refused();
  }

  /** Launches of the stage so far (1 if nothing failed). */
  public long launches() {
    return launches;
  }

  @Override
  public long datasetSize() {
    return shards.datasetSize();
  }

  @Override
  public int shards() {
    return shards.shards();
  }

  /** Tells the tasks to stop, waits (bounded) for the stage to finish, stops listening. */
  @Override
  public void close() {
    try {
      if (current != null) {
        for (Exchange.Peer p : current.peers()) {
          p.stop();
        }
        current.job().get(timeoutMs, TimeUnit.MILLISECONDS);
        current = null;
      }
    } catch (IOException | ExecutionException | TimeoutException | RuntimeException e) {
      LOG.warn("the persistent stage did not stop cleanly: {}", cause(e));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      abandon();
      endpoint.close();
      if (exchange != null) {
        exchange.close();
      }
    }
  }
}
