package io.sparkddpm.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.sparkddpm.SparkSessionTestBase;
import io.sparkddpm.train.persistent.PersistentGradients;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code --mode persistent} on local[2,4] (a task slot per partition, as barrier mode needs) with
 * the tiny UNet: bitwise the per-step mode's results, a relaunch after a task failure, and an
 * endpoint that refuses strangers.
 */
class PersistentModeTest extends SparkSessionTestBase {
  @TempDir Path work;

  private Trainer.Result train(String output, String... extra) throws Exception {
    return TrainJob.train(spark, config(output, extra));
  }

  /** TinyRun's options with a smaller batch: these tests compare runs, they need not learn. */
  private TrainConfig config(String output, String... extra) throws IOException {
    return TinyRun.config(
        work, output, with(new String[] {"--limit", "64", "--batch-size", "16"}, extra));
  }

  @ParameterizedTest(name = "P = {0}")
  @ValueSource(strings = {"1", "2"})
  void persistentModeGivesBitwiseTheWeightsAndLossesOfPerStepMode(String p) throws Exception {
    String[] opts = {"--max-steps", "4", "--partitions", p, "--ema-decay", "0.9"};
    Trainer.Result perStep = train("per-step", with(opts, "--mode", "per-step"));
    Trainer.Result persistent = train("persistent", with(opts, "--mode", "persistent"));
    assertArrayEquals(perStep.params(), persistent.params());
    List<JsonObject> a = metrics("per-step");
    List<JsonObject> b = metrics("persistent");
    assertEquals(4, b.size());
    for (int i = 0; i < a.size(); i++) {
      assertEquals(a.get(i).get("loss").getAsDouble(), b.get(i).get("loss").getAsDouble());
      double step = b.get(i).get("step_s").getAsDouble();
      double compute = b.get(i).get("compute_s").getAsDouble();
      assertTrue(compute > 0 && compute <= step, b.get(i).toString());
    }
  }

  @Test
  void failedTaskRelaunchesTheStageAndTheWeightsEqualAnUndisturbedRun() throws Exception {
    Trainer.Result clean = train("clean", "--max-steps", "3", "--mode", "per-step");
    AtomicInteger failedTasks = new AtomicInteger();
    AtomicInteger stageJobs = new AtomicInteger();
    SparkListener listener =
        new SparkListener() {
          @Override
          public void onTaskEnd(SparkListenerTaskEnd end) {
            if (!end.taskInfo().successful()) {
              failedTasks.incrementAndGet();
            }
          }

          @Override
          public void onJobStart(SparkListenerJobStart start) {
            String d = start.properties().getProperty("spark.job.description", "");
            if (d.startsWith("persistent training stage")) {
              stageJobs.incrementAndGet();
            }
          }
        };
    spark.sparkContext().addSparkListener(listener);
    AtomicReference<PersistentGradients> source = new AtomicReference<>();
    try {
      Trainer.Result retried =
          TrainJob.train(
              spark,
              config(
                  "retried",
                  "--max-steps",
                  "3",
                  "--mode",
                  "persistent",
                  "--inject-failure-at-step",
                  "1"),
              (s, label) -> source.set((PersistentGradients) s));
      spark.sparkContext().listenerBus().waitUntilEmpty();
      assertEquals(2, source.get().launches(), "the stage was launched once more");
      assertEquals(2, stageJobs.get(), "two barrier jobs ran");
      assertTrue(failedTasks.get() >= 1, "the injected failure failed a task");
      assertArrayEquals(clean.params(), retried.params());
      assertEquals(3, metrics("retried").size());
    } finally {
      spark.sparkContext().removeSparkListener(listener);
    }
  }

  @Test
  void connectionWithAWrongSecretIsRefusedAndTheRunIsUnaffected() throws Exception {
    Trainer.Result clean = train("clean", "--max-steps", "3", "--mode", "per-step");
    AtomicReference<PersistentGradients> source = new AtomicReference<>();
    AtomicReference<InetSocketAddress> address = new AtomicReference<>();
    AtomicReference<String> intruder = new AtomicReference<>("not tried");
    Trainer.Result r =
        TrainJob.train(
            spark,
            config("guarded", "--max-steps", "3", "--mode", "persistent"),
            (s, label) -> {
              PersistentGradients g = (PersistentGradients) s;
              source.set(g);
              address.set(g.endpointAddress());
              if (label.startsWith("train step 2/")) { // the stage is running
                intruder.set(intrude(g.endpointAddress()));
              }
            });
    assertEquals("closed by the driver", intruder.get());
    assertEquals(1, source.get().refusedConnections());
    assertEquals(1, source.get().launches(), "the intruder did not disturb the stage");
    assertArrayEquals(clean.params(), r.params());
    // The endpoint listened only while the run lasted.
    assertThrows(ConnectException.class, () -> new Socket().connect(address.get(), 5_000));
  }

  @Test
  void badModeOptionsAreUsageErrorsNamingTheOption() {
    var mode =
        assertThrows(
            io.sparkddpm.cli.UsageException.class, () -> config("x", "--mode", "persistant"));
    assertTrue(mode.getMessage().startsWith("--mode"), mode.getMessage());
    var retries =
        assertThrows(
            io.sparkddpm.cli.UsageException.class, () -> config("x", "--stage-retries", "-1"));
    assertTrue(retries.getMessage().startsWith("--stage-retries"), retries.getMessage());
    var timeout =
        assertThrows(
            io.sparkddpm.cli.UsageException.class, () -> config("x", "--exchange-timeout", "0"));
    assertTrue(timeout.getMessage().startsWith("--exchange-timeout"), timeout.getMessage());
  }

  /** Says hello with the right framing and a wrong secret; reports what the driver did. */
  private static String intrude(InetSocketAddress at) {
    try (Socket s = new Socket()) {
      s.connect(at, 5_000);
      s.setSoTimeout(10_000);
      ByteBuffer hello = ByteBuffer.allocate(52).order(ByteOrder.LITTLE_ENDIAN);
      hello.putInt(0x31504444).putInt(1).putLong(0).putInt(0).put(new byte[32]);
      s.getOutputStream().write(hello.array());
      s.getOutputStream().flush();
      InputStream in = s.getInputStream();
      return in.read() < 0 ? "closed by the driver" : "answered";
    } catch (IOException e) {
      return e.toString();
    }
  }

  private List<JsonObject> metrics(String run) throws IOException {
    return Files.readAllLines(work.resolve(run).resolve("metrics.jsonl")).stream()
        .filter(l -> !l.isBlank())
        .map(l -> JsonParser.parseString(l).getAsJsonObject())
        .toList();
  }

  private static String[] with(String[] a, String... b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
