package io.sparkddpm.train.persistent;

import io.sparkddpm.train.GradientStep;
import io.sparkddpm.train.StepPlan;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The driver's side of one step: the same STEP frame (batch and weights, encoded once) to every
 * task, then each task's PARTIAL read in partition order. Buffers are kept from step to step; a
 * returned partial's gradient is valid until the next step.
 */
final class Exchange {
  /** How often a blocked read wakes up to ask whether to keep waiting. */
  private static final int POLL_MS = 200;

  private static final int BUFFER = 1 << 16;

  private final int params;
  private final float[][] grads;
  private final byte[][] headers;

  /**
   * Writes the frames of partitions 1.. while the calling thread writes partition 0's, so that the
   * tasks receive their weights at the same time rather than one after the other (none when P = 1).
   */
  private final ExecutorService writers;

  private final byte[] partialHeader = new byte[Wire.PARTIAL_HEADER_BYTES];
  private byte[] body;
  private final byte[] partialBody;

  /** One connected task. */
  static final class Peer {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    Peer(Socket socket) throws IOException {
      this.socket = socket;
      socket.setSoTimeout(POLL_MS);
      in = new BufferedInputStream(socket.getInputStream(), BUFFER);
      out = new BufferedOutputStream(socket.getOutputStream(), BUFFER);
    }

    /** Writes one frame: a header and {@code len} bytes of {@code body}. */
    void send(byte[] header, byte[] body, int len) throws IOException {
      out.write(header);
      out.write(body, 0, len);
      out.flush();
    }

    /** Tells the task the run is over. */
    void stop() throws IOException {
      byte[] frame = new byte[Wire.STEP_HEADER_BYTES];
      Wire.view(frame, frame.length).putInt(Wire.STOP);
      out.write(frame);
      out.flush();
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
    this.headers = new byte[partitions][Wire.STEP_HEADER_BYTES];
    this.partialBody = new byte[params * Float.BYTES];
    this.writers =
        partitions < 2
            ? null
            : Executors.newFixedThreadPool(
                partitions - 1,
                r -> {
                  Thread t = new Thread(r, "persistent-stage-writer");
                  t.setDaemon(true);
                  return t;
                });
  }

  /** Stops the writer threads. */
  void close() {
    if (writers != null) {
      writers.shutdownNow();
    }
  }

  int params() {
    return params;
  }

  /**
   * Sends step {@code plan} with {@code weights} (known to the executors as {@code weightsId}) and
   * returns the partials in partition order; {@code failFirst} asks partition 0 to fail (tests).
   */
  List<GradientStep.Partial> step(
      Peer[] peers,
      StepPlan plan,
      float[] weights,
      long weightsId,
      boolean failFirst,
      Wire.Patience patience)
      throws IOException {
    int n = plan.batch().length;
    int len = n * Long.BYTES + params * Float.BYTES;
    body = Wire.ensure(body, len);
    ByteBuffer b = Wire.view(body, len);
    b.asLongBuffer().put(plan.batch());
    b.position(n * Long.BYTES);
    b.asFloatBuffer().put(weights);
    List<Future<?>> sent = new ArrayList<>(peers.length);
    boolean allSent = false;
    try {
      for (int p = peers.length - 1; p >= 0; p--) {
        byte[] header = headers[p];
        Wire.view(header, header.length)
            .putInt(Wire.STEP)
            .put((byte) (failFirst && p == 0 ? 1 : 0))
            .putLong(plan.step())
            .putInt(plan.epoch())
            .putLong(weightsId)
            .putInt(n)
            .putInt(params);
        Peer peer = peers[p];
        byte[] frame = body;
        if (p == 0) {
          peer.send(header, frame, len);
        } else {
          sent.add(
              writers.submit(
                  () -> {
                    peer.send(header, frame, len);
                    return null;
                  }));
        }
      }
      for (Future<?> f : sent) {
        awaitSent(f, patience);
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
      partials.add(read(peers[p], p, n, patience));
    }
    return partials;
  }

  /**
   * Waits for a writer's frame to be sent, asking {@code patience} every {@link #POLL_MS}: a task
   * that stops reading blocks the writer, so the wait ends with the stage's job or the exchange
   * timeout, as a read does.
   */
  private static void awaitSent(Future<?> f, Wire.Patience patience) throws IOException {
    while (true) {
      try {
        f.get(POLL_MS, TimeUnit.MILLISECONDS);
        return;
      } catch (TimeoutException e) {
        patience.check();
      } catch (ExecutionException e) {
        Throwable c = e.getCause();
        throw c instanceof IOException io ? io : new IOException("sending a step", c);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while sending a step", e);
      }
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
  private GradientStep.Partial read(Peer peer, int p, int batch, Wire.Patience patience)
      throws IOException {
    Wire.readFully(peer.in, partialHeader, partialHeader.length, patience);
    ByteBuffer h = Wire.view(partialHeader, partialHeader.length);
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
    Wire.readFully(peer.in, partialBody, partialBody.length, patience);
    if (grads[p] == null) {
      grads[p] = new float[params];
    }
    Wire.view(partialBody, partialBody.length).asFloatBuffer().get(grads[p]);
    return new GradientStep.Partial(grads[p], lossSum, count, seconds);
  }
}
