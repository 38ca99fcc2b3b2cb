package io.sparkddpm.bench;

import io.sparkddpm.data.IdxReader;
import io.sparkddpm.data.MnistImage;
import io.sparkddpm.model.UNetConfig;
import io.sparkddpm.train.LocalGradients;
import io.sparkddpm.train.Shard;
import io.sparkddpm.train.TrainConfig;
import io.sparkddpm.train.Trainer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * The training loop of TrainJob (same Trainer, same step computation, same metrics.jsonl) in one
 * plain Java process without Spark: the baseline for Spark's overhead.
 *
 * <p>Usage: {@code LocalTrainBenchmark <mnist dir> <output dir> <steps> [batch=128] [shards=1]}
 */
public final class LocalTrainBenchmark {
  private LocalTrainBenchmark() {}

  public static void main(String[] args) throws Exception {
    String data = args[0];
    String output = args[1];
    String steps = args[2];
    String batch = args.length > 3 ? args[3] : "128";
    int shards = args.length > 4 ? Integer.parseInt(args[4]) : 1;
    Configuration conf = new Configuration();
    List<MnistImage> images =
        IdxReader.readPair(
            new Path(data, "train-images-idx3-ubyte"),
            new Path(data, "train-labels-idx1-ubyte"),
            conf);
    List<List<MnistImage>> parts = new ArrayList<>();
    for (int i = 0; i < shards; i++) {
      parts.add(new ArrayList<>());
    }
    for (MnistImage img : images) {
      parts.get((int) (img.index() * shards / images.size())).add(img);
    }
    List<Shard> list = new ArrayList<>();
    for (List<MnistImage> p : parts) {
      list.add(Shard.of(p.iterator()));
    }
    TrainConfig cfg =
        TrainConfig.parse(
            new String[] {
              "--data",
              data,
              "--output",
              output,
              "--max-steps",
              steps,
              "--batch-size",
              batch,
              "--sample-every-epoch",
              "0",
              "--checkpoint-every",
              "0",
              "--log-every",
              "1"
            });
    try (LocalGradients source = new LocalGradients(list, UNetConfig.tutorial())) {
      Trainer.Result r =
          new Trainer(cfg, UNetConfig.tutorial(), conf, Map.of("runner", "LocalTrainBenchmark"))
              .train(source, label -> {});
      System.out.printf(
          "plain Java: %d steps, loss %.4f -> %.4f%n", r.steps(), r.firstLoss(), r.lastLoss());
    }
  }
}
