package io.sparkddpm.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.sparkddpm.io.SafeTensors;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;

/** Checks the real files that {@code submit/fetch-mnist.sh} puts in data/mnist; skipped without. */
class RealMnistFilesTest {
  private static final Path DIR = IdxFiles.projectDir().resolve("data/mnist");

  private static List<MnistImage> read(String prefix) {
    Path images = DIR.resolve(prefix + "-images-idx3-ubyte");
    Path labels = DIR.resolve(prefix + "-labels-idx1-ubyte");
    assumeTrue(
        Files.isRegularFile(images) && Files.isRegularFile(labels),
        "no MNIST in " + DIR + " (run submit/fetch-mnist.sh)");
    return IdxReader.readPair(
        new org.apache.hadoop.fs.Path(images.toUri()),
        new org.apache.hadoop.fs.Path(labels.toUri()),
        new Configuration());
  }

  @Test
  void trainingSplitHas60000ImagesAndStartsLikeTheReference() throws IOException {
    List<MnistImage> train = read("train");
    assertEquals(60000, train.size());

    SafeTensors.Contents ref;
    try (InputStream in = getClass().getResourceAsStream("/reference/mnist_resize.safetensors")) {
      ref = SafeTensors.read(in, "reference/mnist_resize.safetensors");
    }
    int[] raw = ref.get("raw").toUnsignedBytes();
    long[] labels = ref.get("labels").toLongs();
    for (int i = 0; i < 16; i++) {
      MnistImage image = train.get(i);
      assertEquals(labels[i], image.label(), "label " + i);
      for (int k = 0; k < MnistImage.PIXELS; k++) {
        assertEquals(raw[i * MnistImage.PIXELS + k], image.pixels()[k] & 0xFF, "image " + i);
      }
    }
  }

  @Test
  void testSplitHas10000Images() {
    assertEquals(10000, read("t10k").size());
  }
}
