package io.sparkddpm.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkddpm.io.SafeTensors;
import io.sparkddpm.io.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Refused input through Spark's real launcher: the process exits 2 (not 1, not 0), prints what is
 * wrong with which input, and writes nothing. HostileInputTest covers every case in-process; this
 * checks that the exit code reaches the shell.
 */
class HostileInputIT {
  private static final String WEIGHTS = "diffusion_pytorch_model.safetensors";

  @TempDir Path work;

  @Test
  void nanWeightsAndAnUnsupportedDataSchemeExitTwoAndWriteNothing() throws Exception {
    Path unet = Path.of(HostileInputIT.class.getResource("/reference/unet").toURI());
    Path model = work.resolve("nan-unet");
    Files.createDirectories(model);
    Files.copy(unet.resolve("config.json"), model.resolve("config.json"));
    Map<String, Tensor> tensors =
        new LinkedHashMap<>(SafeTensors.read(unet.resolve(WEIGHTS)).tensors());
    float[] convIn = tensors.get("conv_in.weight").toFloats();
    convIn[0] = Float.NaN;
    tensors.put("conv_in.weight", Tensor.ofFloats(tensors.get("conv_in.weight").shape(), convIn));
    SafeTensors.write(model.resolve(WEIGHTS), tensors, Map.of("format", "pt"));

    Path samples = work.resolve("samples");
    int sample =
        Submit.job("SampleJob")
            .master("local[1]")
            .args("--model", model.toString(), "--output", samples.toString())
            .run("hostile-sample.log");
    String log = Launcher.log("hostile-sample.log");
    assertEquals(2, sample, log);
    assertTrue(log.contains("tensor \"conv_in.weight\" holds 1 non-finite value"), log);
    assertFalse(Files.exists(samples), "nothing written");

    Path run = work.resolve("run");
    int train =
        Submit.job("TrainJob")
            .master("local[1]")
            .withoutNativeJar()
            .args("--data", "bogus://host/mnist", "--output", run.toString())
            .run("hostile-train.log");
    log = Launcher.log("hostile-train.log");
    assertEquals(2, train, log);
    assertTrue(log.contains("--data: cannot open bogus://host/mnist"), log);
    assertFalse(Files.exists(run), "nothing written");
    try (var left = Files.list(work)) {
      assertEquals(List.of(model), left.toList());
    }
  }
}
