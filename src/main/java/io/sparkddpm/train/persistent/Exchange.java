package io.sparkddpm.train.persistent;

import io.sparkddpm.train.GradientStep;
import io.sparkddpm.train.StepPlan;
import java.io.IOException;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The driver's side of one step: the same STEP frame (batch and weights, encoded once into a direct
 * buffer) to every task, then each task's PARTIAL read in partition order. Frames go through the
 * sockets' channels in blocking mode, straight from and into direct buffers (no copy of the JDK's
 * own on the way); a watchdog asks the caller's patience every {@link #POLL_MS} and closes the
 * step's connections when it gives up, which ends a blocked read or write. Buffers are kept from
 * step to step; a returned partial's gradient is valid until the next step.
 */
final class Exchange {
  /** How often the watchdog asks whether to keep waiting. */
  private static final int POLL_MS = 200;

  private final int params;
  private final float[][] grads;
  private final ByteBuffer[] headers;

  /**
   * Writes the frames of partitions 1.. while the calling thread writes partition 0's, so that the
   * tasks receive their weights at the same time rather than one after the other (none when P = 1).
   */
  private final ExecutorService writers;

  private final ScheduledExecutorService watchdog;

  private final ByteBuffer partialHeader =
      ByteBuffer.allocate(Wire.PARTIAL_HEADER_BYTES).order(Wire.ORDER);
  private ByteBuffer body;
  private final ByteBuffer partialBody;

  /** One connected task. */
  static final class Peer {
    private final Socket socket;
    private final SocketChannel channel;

    /** {@code socket} must have a channel (accepted by a {@code ServerSocketChannel}'s socket). */
    Peer(Socket socket) throws IOException {
      this.socket = socket;
      this.channel = socket.getChannel();
      if (channel == null) {
        throw new IOException("a persistent-stage connection needs a socket channel");
      }
    }

    /** Writes one frame: a header and the body's remaining bytes. */
    void send(ByteBuffer header, ByteBuffer body) throws IOException {
      Wire.writeFully(channel, header);
      Wire.writeFully(channel, body);
    }

    /** Tells the task the run is over. */
    void stop() throws IOException {
      ByteBuffer frame = ByteBuffer.allocate(Wire.STEP_HEADER_BYTES).order(Wire.ORDER);
      frame.putInt(Wire.STOP).clear();
      Wire.writeFully(channel, frame);
    }

    void close() {
      try {
        socket.close();
      } catch (IOException ignored) {
        // dropping the connection anyway
      }
    }
  }

  Exchange(int params, int partitions) {
    this.params = params;
    this.grads = new float[partitions][];
    this.headers = new ByteBuffer[partitions];
    for (int p = 0; p < partitions; p++) {
      headers[p] = ByteBuffer.allocate(Wire.STEP_HEADER_BYTES).order(Wire.ORDER);
    }
    this.partialBody = ByteBuffer.allocateDirect(params * Float.BYTES).order(Wire.ORDER);
    this.writers =
        partitions < 2
            ? null
            : Executors.newFixedThreadPool(partitions - 1, daemon("persistent-stage-writer"));
    ScheduledThreadPoolExecutor dog =
        new ScheduledThreadPoolExecutor(1, daemon("persistent-stage-watchdog"));
    dog.setRemoveOnCancelPolicy(true); // a step's watch leaves the queue when the step ends
    this.watchdog = dog;
  }

  /** Threads named {@code name} that do not keep the driver's JVM alive. */
  private static ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  /** Stops the writer and watchdog threads. */
  void close() {
    if (writers != null) {
      writers.shutdownNow();
    }
    watchdog.shutdownNow();
  }

  int params() {
    return params;
  }

  /**
   * Sends step {@code plan} with {@code weights} (known to the executors as {@code weightsId}) and
   * returns the partials in partition order; {@code failFirst} asks partition 0 to fail (tests).
   * {@code patience} is asked every {@link #POLL_MS}; when it throws, the step's connections are
   * closed and its exception is what this method throws.
   */
  List<GradientStep.Partial> step(
      Peer[] peers,
      StepPlan plan,
      float[] weights,
      long weightsId,
      boolean failFirst,
      Wire.Patience patience)
      throws IOException {
    AtomicReference<IOException> gaveUp = new AtomicReference<>();
    ScheduledFuture<?> watch =
        watchdog.scheduleWithFixedDelay(
            () -> {
              try {
                patience.check();
              } catch (IOException | RuntimeException e) {
                // Caught whole: an exception escaping here would silently end the watchdog.
                IOException why =
                    e instanceof IOException io ? io : new IOException("waiting for the step", e);
                if (gaveUp.compareAndSet(null, why)) {
                  for (Peer peer : peers) {
                    peer.close(); // ends blocked reads and writes
                  }
                }
              }
            },
            POLL_MS,
            POLL_MS,
            TimeUnit.MILLISECONDS);
    try {
      return exchange(peers, plan, weights, weightsId, failFirst);
    } catch (IOException e) {
      IOException why = gaveUp.get();
      if (why != null) {
        why.addSuppressed(e);
        throw why;
      }
      throw e;
    } finally {
      watch.cancel(false);
    }
  }

  private List<GradientStep.Partial> exchange(
      Peer[] peers, StepPlan plan, float[] weights, long weightsId, boolean failFirst)
      throws IOException {
    int n = plan.batch().length;
    int len = n * Long.BYTES + params * Float.BYTES;
    if (body == null || body.capacity() < len) {
      body = ByteBuffer.allocateDirect(len).order(Wire.ORDER);
    }
    body.clear();
    body.asLongBuffer().put(plan.batch());
    body.position(n * Long.BYTES);
    body.asFloatBuffer().put(weights);
    body.position(0).limit(len);
    List<Future<?>> sent = new ArrayList<>(peers.length);
    boolean allSent = false;
    try {
      for (int p = peers.length - 1; p >= 0; p--) {
        ByteBuffer header = headers[p];
        header
            .clear()
            .putInt(Wire.STEP)
            .put((byte) (failFirst && p == 0 ? 1 : 0))
            .putLong(plan.step())
            .putInt(plan.epoch())
            .putLong(weightsId)
            .putInt(n)
            .putInt(params)
            .flip();
        Peer peer = peers[p];
        ByteBuffer frame = body.duplicate(); // a position of its own for each writer
        if (p == 0) {
          peer.send(header, frame);
        } else {
          sent.add(
              writers.submit(
                  () -> {
                    peer.send(header, frame);
                    return null;
                  }));
        }
      }
      for (Future<?> f : sent) {
        awaitSent(f);
      }
      allSent = true;
    } finally {
      if (!allSent) {
        // No writer may go on sending from the frame buffer the next step re-encodes: closing the
        // connections ends their writes, and they are waited for.
        for (Peer peer : peers) {
          peer.close();
        }
        for (Future<?> f : sent) {
          settle(f);
        }
      }
    }
    List<GradientStep.Partial> partials = new ArrayList<>(peers.length);
    for (int p = 0; p < peers.length; p++) {
      partials.add(read(peers[p], p, n));
    }
    return partials;
  }

  /**
   * Waits for a writer's frame to be sent. A task that stops reading blocks the writer until the
   * watchdog gives up and closes the connections, which ends the write.
   */
  private static void awaitSent(Future<?> f) throws IOException {
    try {
      f.get();
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      throw c instanceof IOException io ? io : new IOException("sending a step", c);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while sending a step", e);
    }
  }

  /** Waits until a writer has stopped (its connection is closed, so it does soon). */
  private static void settle(Future<?> f) {
    boolean interrupted = false;
    while (true) {
      try {
        f.get();
        break;
      } catch (ExecutionException | CancellationException e) {
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** Reads partition {@code p}'s PARTIAL, checking every length before using it. */
  private GradientStep.Partial read(Peer peer, int p, int batch) throws IOException {
    partialHeader.clear();
    Wire.readFully(peer.channel, partialHeader);
    ByteBuffer h = partialHeader.flip();
    int kind = h.getInt();
    if (kind != Wire.PARTIAL) {
      throw new IOException("partition " + p + " sent frame kind " + kind + ", not a partial");
    }
    int count = Wire.checkLength("partition " + p + " image count", h.getInt(), batch);
    double lossSum = h.getDouble();
    double seconds = h.getDouble();
    int floats = h.getInt();
    if (floats != (count == 0 ? 0 : params)) {
      throw new IOException("partition " + p + " sent " + floats + " gradient values");
    }
    if (count == 0) {
      return new GradientStep.Partial(null, lossSum, 0, seconds);
    }
    partialBody.clear();
    Wire.readFully(peer.channel, partialBody);
    if (grads[p] == null) {
      grads[p] = new float[params];
    }
    partialBody.flip().asFloatBuffer().get(grads[p]);
    return new GradientStep.Partial(grads[p], lossSum, count, seconds);
  }
}
