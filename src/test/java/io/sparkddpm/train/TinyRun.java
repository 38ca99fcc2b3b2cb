package io.sparkddpm.train;

import io.sparkddpm.data.IdxFiles;
import io.sparkddpm.model.UNetConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** A tiny UNet and command lines for fast training tests on the real MNIST files. */
public final class TinyRun {
  private TinyRun() {}

  /** Two levels of 16 and 32 channels, one resnet each, attention on the deeper level. */
  public static UNetConfig tinyConfig() {
    return UNetConfig.builder()
        .sampleSize(32)
        .inChannels(1)
        .outChannels(1)
        .layersPerBlock(1)
        .blockOutChannels(16, 32)
        .downBlockTypes("DownBlock2D", "AttnDownBlock2D")
        .upBlockTypes("AttnUpBlock2D", "UpBlock2D")
        .normNumGroups(8)
        .build();
  }

  /** data/mnist of the project, fetched by submit/fetch-mnist.sh (the test command runs it). */
  static Path mnist() {
    Path dir = IdxFiles.projectDir().resolve("data/mnist");
    if (!Files.exists(dir.resolve("train-images-idx3-ubyte"))) {
      throw new IllegalStateException("no MNIST in " + dir + "; run submit/fetch-mnist.sh first");
    }
    return dir;
  }

  /** Writes the tiny config into {@code dir} and returns its path. */
  static Path writeTinyConfig(Path dir) throws IOException {
    Path file = dir.resolve("tiny-unet.json");
    Files.writeString(file, tinyConfig().toJson());
    return file;
  }

  /** TrainJob options for a short tiny run; {@code extra} are appended (and win). */
  static TrainConfig config(Path work, String output, String... extra) throws IOException {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--data", mnist().toString(),
                "--output", work.resolve(output).toString(),
                "--model-config", writeTinyConfig(work).toString(),
                "--limit", "256",
                "--batch-size", "32",
                "--partitions", "2",
                "--sample-every-epoch", "0",
                "--checkpoint-every", "0",
                "--log-every", "5",
                "--seed", "11"));
    args.addAll(Arrays.asList(extra));
    return TrainConfig.parse(args.toArray(String[]::new));
  }
}
