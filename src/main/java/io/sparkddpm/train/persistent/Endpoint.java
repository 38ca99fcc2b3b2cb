package io.sparkddpm.train.persistent;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The driver's listening socket for one training run, on the driver's host address and a free port.
 * A task is accepted only if its first bytes carry this run's secret (generated here from {@link
 * SecureRandom}, handed to the tasks inside the Spark job, compared in constant time), the current
 * launch and a partition not yet connected; anything else is logged and closed.
 */
final class Endpoint implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Endpoint.class);

  /** How long a new connection may take to say who it is; a silent one cannot hold the door. */
  private static final int HELLO_TIMEOUT_MS = 5_000;

  private final ServerSocket server;
  private final byte[] secret = new byte[Wire.SECRET_BYTES];
  private final Thread acceptor;
  private final AtomicInteger refused = new AtomicInteger();

  private final Object lock = new Object();
  private long launch = -1; // guarded by lock
  private Socket[] slots = new Socket[0]; // guarded by lock

  /** Listens on {@code host}, port chosen by the system, until {@link #close()}. */
  Endpoint(InetAddress host) throws IOException {
    new SecureRandom().nextBytes(secret);
    // A channel's socket: accepted sockets then have channels, which the exchange reads and writes
    // in blocking mode from direct buffers; the hello is read through the socket's stream with a
    // timeout.
    server = ServerSocketChannel.open().socket();
    server.bind(new InetSocketAddress(host, 0), 64);
    acceptor = new Thread(this::acceptLoop, "persistent-stage-endpoint");
    acceptor.setDaemon(true);
    acceptor.start();
    LOG.info("persistent stage endpoint listening on {}", server.getLocalSocketAddress());
  }

  /** The address tasks connect to. */
  InetSocketAddress address() {
    return (InetSocketAddress) server.getLocalSocketAddress();
  }

  /** A copy of the run's secret, to put into the job's closure. */
  byte[] secret() {
    return secret.clone();
  }

  /** Connections refused so far. */
  int refused() {
    return refused.get();
  }

  /**
   * Opens the door to the tasks of {@code id} ({@code partitions} of them); connections still held
   * from an earlier launch are closed.
   */
  void expect(long id, int partitions) {
    synchronized (lock) {
      closeAll(slots);
      launch = id;
      slots = new Socket[partitions];
    }
  }

  /**
   * Waits until every partition of launch {@code id} is connected and returns their sockets in
   * partition order; {@code patience} is asked every 200 ms whether to keep waiting.
   */
  Socket[] await(long id, Wire.Patience patience) throws IOException {
    synchronized (lock) {
      while (true) {
        if (launch != id) {
          throw new IOException("launch " + id + " is no longer expected");
        }
        if (Arrays.stream(slots).allMatch(s -> s != null)) {
          return slots.clone();
        }
        try {
          lock.wait(200);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted while waiting for the tasks to connect", e);
        }
        patience.check();
      }
    }
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      Socket s;
      try {
        s = server.accept();
      } catch (IOException e) {
        if (!server.isClosed()) {
          LOG.warn("persistent stage endpoint: accept failed", e);
        }
        continue;
      }
      try {
        admit(s);
      } catch (IOException e) {
        refuse(s, e.getMessage());
      }
    }
  }

  /** Reads the hello; keeps the socket in its partition's slot, or refuses it. */
  private void admit(Socket s) throws IOException {
    s.setSoTimeout(HELLO_TIMEOUT_MS);
    s.setTcpNoDelay(true);
    byte[] hello = new byte[Wire.HELLO_BYTES];
    InputStream in = s.getInputStream();
    Wire.readFully(
        in,
        hello,
        hello.length,
        () -> {
          throw new SocketTimeoutException("no hello within " + HELLO_TIMEOUT_MS + " ms");
        });
    ByteBuffer b = Wire.view(hello, hello.length);
    int magic = b.getInt();
    int version = b.getInt();
    long id = b.getLong();
    int partition = b.getInt();
    byte[] given = new byte[Wire.SECRET_BYTES];
    b.get(given);
    if (magic != Wire.MAGIC || version != Wire.VERSION) {
      throw new IOException("not a persistent-stage task (bad magic or version)");
    }
    if (!MessageDigest.isEqual(given, secret)) { // constant time: no timing oracle on the secret
      throw new IOException("wrong secret");
    }
    synchronized (lock) {
      if (id != launch || partition < 0 || partition >= slots.length || slots[partition] != null) {
        throw new IOException(
            "unexpected task (launch " + id + ", partition " + partition + ", now " + launch + ")");
      }
      byte[] ack = new byte[4];
      Wire.view(ack, 4).putInt(Wire.MAGIC);
      s.getOutputStream().write(ack);
      s.getOutputStream().flush();
      slots[partition] = s;
      lock.notifyAll();
    }
  }

  private void refuse(Socket s, String why) {
    refused.incrementAndGet();
    LOG.warn(
        "persistent stage endpoint refused a connection from {}: {}",
        s.getRemoteSocketAddress(),
        why);
    try {
      s.close();
    } catch (IOException ignored) {
      // refusing anyway
    }
  }

  private static void closeAll(Socket[] sockets) {
    for (Socket s : sockets) {
      if (s != null) {
        try {
          s.close();
        } catch (IOException ignored) {
          // the connection is being dropped
        }
      }
    }
  }

  /** Stops listening and closes every connection. */
  @Override
  public void close() {
    try {
      server.close();
    } catch (IOException ignored) {
      // closing anyway
    }
    synchronized (lock) {
      closeAll(slots);
      launch = -1;
      slots = new Socket[0];
      lock.notifyAll();
    }
    try {
      acceptor.join(HELLO_TIMEOUT_MS + 1_000L);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    LOG.info("persistent stage endpoint closed ({} connections refused)", refused.get());
  }
}
