package io.sparkddpm.train.persistent;

import io.sparkddpm.data.PixelRange;
import io.sparkddpm.diffusion.PredictionType;
import io.sparkddpm.executor.ExecutorModels;
import io.sparkddpm.model.Precision;
import io.sparkddpm.model.UNetConfig;
import io.sparkddpm.train.GradientStep;
import io.sparkddpm.train.Shard;
import io.sparkddpm.train.StepPlan;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import org.apache.spark.TaskContext;
import scala.runtime.AbstractFunction1;

/**
 * What one task of the persistent stage runs: connect to the driver, then for every step read the
 * batch and the weights, compute the shard's partial gradient on the executor's cached model, and
 * send it back, until the driver says stop. Returns the number of steps it served.
 *
 * @param launch which launch of the stage this task belongs to (a relaunch gets a new number)
 * @param microBatch images per forward and backward pass ({@link StepPlan#microBatch()})
 */
record PersistentTask(
    String host,
    int port,
    byte[] secret,
    long launch,
    String configJson,
    long seed,
    float[] alphasCumprod,
    PredictionType predictionType,
    PixelRange range,
    int microBatch,
    double condDropout,
    Precision precision,
    int maxBatch,
    int params,
    int timeoutMs)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The task as the Scala function {@code RDDBarrier.mapPartitions} takes. */
  Function asFunction() {
    return new Function(this);
  }

  /** Adapts the task to Scala's iterator function. */
  static final class Function
      extends AbstractFunction1<scala.collection.Iterator<Shard>, scala.collection.Iterator<Long>>
      implements Serializable {
    private static final long serialVersionUID = 1L;
    private final PersistentTask task;

    Function(PersistentTask task) {
      this.task = task;
    }

    @Override
    public scala.collection.Iterator<Long> apply(scala.collection.Iterator<Shard> shards) {
      Shard shard = shards.next();
      if (shards.hasNext()) { // also lets Spark release the cached block's read lock
        throw new IllegalStateException("a partition must hold exactly one shard");
      }
      try {
        long steps = task.serve(shard, TaskContext.getPartitionId());
        return scala.jdk.javaapi.CollectionConverters.asScala(java.util.List.of(steps).iterator());
      } catch (IOException e) {
        throw new IllegalStateException("persistent stage task: " + e.getMessage(), e);
      }
    }
  }

  /** Serves steps until the driver's stop; returns how many. */
  long serve(Shard shard, int partition) throws IOException {
    ExecutorModels.Loaded m = ExecutorModels.get(UNetConfig.fromJson(configJson, "task config"));
    try (SocketChannel channel = SocketChannel.open()) {
      Socket socket = channel.socket();
      socket.connect(new InetSocketAddress(host, port), timeoutMs);
      socket.setTcpNoDelay(true);
      socket.setSoTimeout(timeoutMs);
      // The hello and every frame header go through the socket's streams, whose reads time out;
      // the bodies through the channel, straight into and out of direct buffers. The streams are
      // not buffered, so no byte of a body is read ahead into them.
      InputStream in = socket.getInputStream();
      OutputStream out = socket.getOutputStream();
      hello(in, out, partition);
      byte[] header = new byte[Wire.STEP_HEADER_BYTES];
      ByteBuffer batchBytes = ByteBuffer.allocateDirect(maxBatch * Long.BYTES).order(Wire.ORDER);
      ByteBuffer weights = ByteBuffer.allocateDirect(params * Float.BYTES).order(Wire.ORDER);
      // the PARTIAL frame: the gradient is written into it by the step itself
      ByteBuffer reply =
          ByteBuffer.allocateDirect(Wire.PARTIAL_HEADER_BYTES + params * Float.BYTES)
              .order(Wire.ORDER);
      for (long served = 0; ; served++) {
        Wire.readFully(in, header, header.length, this::timedOut);
        ByteBuffer h = Wire.view(header, header.length);
        int kind = h.getInt();
        boolean fail = h.get() != 0;
        long step = h.getLong();
        int epoch = h.getInt();
        long weightsId = h.getLong();
        int n = Wire.checkLength("batch size", h.getInt(), maxBatch);
        int floats = Wire.checkLength("parameter count", h.getInt(), params);
        if (kind == Wire.STOP) {
          return served;
        }
        if (kind != Wire.STEP) {
          throw new IOException("unexpected frame kind " + kind);
        }
        if (floats != params) {
          throw new IOException("parameter count " + floats + ", the model has " + params);
        }
        batchBytes.clear().limit(n * Long.BYTES);
        Wire.readFully(channel, batchBytes);
        long[] batch = new long[n];
        batchBytes.flip().asLongBuffer().get(batch);
        weights.clear();
        Wire.readFully(channel, weights);
        weights.flip();
        if (fail) {
          throw new IllegalStateException(
              "injected failure (--inject-failure-at-step) in step " + step);
        }
        StepPlan plan =
            new StepPlan(
                step,
                epoch,
                batch,
                seed,
                alphasCumprod,
                range,
                false,
                microBatch,
                predictionType,
                condDropout,
                precision);
        reply.clear().position(Wire.PARTIAL_HEADER_BYTES);
        GradientStep.Partial p;
        synchronized (ExecutorModels.STEP_LOCK) {
          m.load(weights, weightsId);
          p = GradientStep.compute(m.model(), m.manager(), m.device(), shard, plan, reply);
        }
        int sent = p.count() == 0 ? 0 : params;
        reply.clear();
        reply.putInt(Wire.PARTIAL).putInt(p.count()).putDouble(p.lossSum()).putDouble(p.seconds());
        reply.putInt(sent);
        reply.position(0).limit(Wire.PARTIAL_HEADER_BYTES + sent * Float.BYTES);
        Wire.writeFully(channel, reply);
      }
    }
  }

  private void hello(InputStream in, OutputStream out, int partition) throws IOException {
    byte[] hello = new byte[Wire.HELLO_BYTES];
    Wire.view(hello, hello.length)
        .putInt(Wire.MAGIC)
        .putInt(Wire.VERSION)
        .putLong(launch)
        .putInt(partition)
        .put(secret);
    out.write(hello);
    out.flush();
    byte[] ack = new byte[4];
    Wire.readFully(in, ack, 4, this::timedOut);
    if (Wire.view(ack, 4).getInt() != Wire.MAGIC) {
      throw new IOException("the driver did not acknowledge partition " + partition);
    }
  }

  private void timedOut() throws IOException {
    throw new SocketTimeoutException("no word from the driver within " + timeoutMs + " ms");
  }
}
