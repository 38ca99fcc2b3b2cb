package io.sparkddpm.train.persistent;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkddpm.data.PixelRange;
import io.sparkddpm.train.StepPlan;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The driver's side of a step against tasks played by plain sockets on 127.0.0.1. */
class ExchangeTest {
  /**
   * A task that stops reading its STEP frame (alive, connected, silent) must not hang the driver:
   * partition 1's frame goes through a writer thread, which blocks once the socket buffers are
   * full; the exchange's watchdog gives up at the timeout and closes the step's connections, which
   * ends the blocked write, and the step fails with the timeout's exception.
   */
  @Test
  void aTaskThatStopsReadingEndsTheStepAtTheTimeoutInsteadOfHangingTheDriver() throws Exception {
    int params = 1 << 20; // a 4 MB frame, far more than partition 1's socket buffers below hold
    // A channel's server socket, as the driver's endpoint: accepted sockets have channels.
    try (ServerSocket server = ServerSocketChannel.open().socket();
        Socket task0 = new Socket();
        Socket task1 = new Socket()) {
      server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 2);
      task0.connect(server.getLocalSocketAddress());
      task1.setReceiveBufferSize(1 << 16); // fixed before connecting: no autotuning
      try (Socket driver0 = server.accept()) {
        task1.connect(server.getLocalSocketAddress());
        try (Socket driver1 = server.accept()) {
          driver1.setSendBufferSize(1 << 16);
          silentSecondTask(task0, driver0, driver1, params);
        }
      }
    }
  }

  private static void silentSecondTask(Socket task0, Socket driver0, Socket driver1, int params)
      throws Exception {
    Thread drain = new Thread(() -> drain(task0)); // partition 0 reads its frame, never replies
    drain.setDaemon(true);
    drain.start();
    Exchange.Peer[] peers = {new Exchange.Peer(driver0), new Exchange.Peer(driver1)};
    Exchange exchange = new Exchange(params, 2);
    StepPlan plan =
        new StepPlan(
            0, 0, new long[] {0, 1}, 1, new float[] {0.5f}, PixelRange.MINUS_ONE_TO_ONE, false);
    long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
    Wire.Patience patience =
        () -> {
          if (System.nanoTime() > deadline) {
            throw new SocketTimeoutException("waited 2000 ms for the step");
          }
        };
    try {
      assertTimeoutPreemptively(
          Duration.ofSeconds(60),
          () ->
              assertThrows(
                  SocketTimeoutException.class,
                  () -> exchange.step(peers, plan, new float[params], 7, false, patience)));
    } finally {
      exchange.close();
    }
    assertTrue(driver0.isClosed() && driver1.isClosed(), "the step's connections are closed");
  }

  private static void drain(Socket s) {
    byte[] buf = new byte[1 << 16];
    try (InputStream in = s.getInputStream()) {
      while (in.read(buf) >= 0) {
        // discard
      }
    } catch (java.io.IOException e) {
      // closed: done
    }
  }
}
