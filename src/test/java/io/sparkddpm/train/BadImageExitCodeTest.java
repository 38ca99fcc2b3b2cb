package io.sparkddpm.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkddpm.SparkSessionTestBase;
import io.sparkddpm.data.ImageFixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bad image only a task can find (it does not decode) ends TrainJob's command line with exit code
 * 2 and the task's own message naming the file, not a generic Spark job failure.
 */
class BadImageExitCodeTest extends SparkSessionTestBase {
  @TempDir Path work;

  @Test
  void theCommandLineExitsWith2AndPrintsTheTasksMessage() throws Exception {
    Path dir = work.resolve("cli");
    Files.createDirectories(dir);
    Files.write(dir.resolve("ok.png"), ImageFixtures.encode(ImageFixtures.rgb(0, 32), "png"));
    Files.write(dir.resolve("broken.jpg"), new byte[] {(byte) 0xFF, (byte) 0xD8, 0, 0});
    Path config = work.resolve("rgb.json");
    Files.writeString(config, ImageInputRefusalTest.rgbModel().toJson());
    Path out = work.resolve("cli-out");
    String[] args = {
      "--data",
      dir.toString(),
      "--output",
      out.toString(),
      "--model-config",
      config.toString(),
      "--max-steps",
      "1",
      "--batch-size",
      "2",
      "--partitions",
      "2"
    };
    var err = new java.io.ByteArrayOutputStream();
    var old = System.err;
    int code;
    System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
    try {
      // JobRunner stops the session it gets (this class's): the class holds this one test.
      code = io.sparkddpm.cli.JobRunner.run("TrainJob", new TrainJob(), args);
    } finally {
      System.setErr(old);
    }
    String printed = err.toString(java.nio.charset.StandardCharsets.UTF_8);
    assertEquals(2, code, printed);
    contains(printed, "TrainJob: --data: ", "broken.jpg", "is not a decodable PNG or JPEG image");
    assertFalse(Files.exists(out), "nothing written");
  }

  private static void contains(String message, String... fragments) {
    for (String f : fragments) {
      assertTrue(message.contains(f), "\"" + f + "\" missing from: " + message);
    }
  }
}
