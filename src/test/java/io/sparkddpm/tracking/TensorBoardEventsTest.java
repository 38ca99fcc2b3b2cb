package io.sparkddpm.tracking;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.sparkddpm.io.PngImages;
import java.io.File;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TensorBoardEventsTest {
  @TempDir Path work;

  @Test
  void tensorBoardsReaderGetsTheScalarsAndImagesWritten() throws Exception {
    byte[] png = PngImages.encode(3, 2, new byte[] {0, 10, 20, 30, 40, (byte) 250});
    Path dir = work.resolve("tb");
    try (TensorBoardEvents events =
        new TensorBoardEvents(new Configuration(), new org.apache.hadoop.fs.Path(dir.toUri()))) {
      for (long step = 1; step <= 3; step++) {
        Map<String, Double> values = new LinkedHashMap<>();
        values.put("loss", 1.0 / step);
        values.put("lr", 1e-3);
        events.scalars(step, values);
      }
      events.image(3, "samples", png);
      events.flush();
    }
    // No checksum file beside the event file: TensorBoard would read any name with "tfevents".
    File[] files = dir.toFile().listFiles();
    assertEquals(1, files.length, java.util.Arrays.toString(files));
    assertFalse(files[0].getName().startsWith("."));

    JsonObject read = TrackingServer.readTensorBoard(dir);

    JsonArray loss = read.getAsJsonObject("scalars").getAsJsonArray("loss");
    assertEquals(3, loss.size());
    for (int i = 0; i < 3; i++) {
      JsonArray point = loss.get(i).getAsJsonArray();
      assertEquals(i + 1, point.get(0).getAsLong());
      assertEquals((float) (1.0 / (i + 1)), point.get(1).getAsFloat());
    }
    assertEquals(3, read.getAsJsonObject("scalars").getAsJsonArray("lr").size());
    JsonArray image =
        read.getAsJsonObject("images").getAsJsonArray("samples").get(0).getAsJsonArray();
    assertEquals(3, image.get(0).getAsLong()); // step
    assertEquals(3, image.get(1).getAsInt()); // width
    assertEquals(2, image.get(2).getAsInt()); // height
    assertEquals(png.length, image.get(3).getAsInt());
  }

  @Test
  void maskedCrcEqualsTensorBoardsOwn() {
    // Golden values of TensorBoard's masked_crc32c (tensorboard.compat.tensorflow_stub.
    // pywrap_tensorflow, 2.21.0) for b"123456789" and for the length field of a 5-byte record.
    byte[] digits = "123456789".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    assertEquals(0xc78ab0e5, TensorBoardEvents.maskedCrc(digits, 0, digits.length));
    byte[] length = {5, 0, 0, 0, 0, 0, 0, 0};
    assertEquals(0x3e04b2ea, TensorBoardEvents.maskedCrc(length, 0, 8));
  }
}
