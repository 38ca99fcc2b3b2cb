package io.sparkddpm.checkpoint;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.sparkddpm.diffusion.SchedulerConfig;
import io.sparkddpm.io.DirectoryReplace;
import io.sparkddpm.io.HadoopFiles;
import io.sparkddpm.io.SafeTensors;
import io.sparkddpm.io.StagedOutput;
import io.sparkddpm.io.Tensor;
import io.sparkddpm.model.UNetConfig;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Checkpoints in diffusers' pipeline layout, on any Hadoop file system:
 *
 * <pre>
 * model_index.json                      DDPMPipeline: unet + scheduler
 * unet/config.json
 * unet/diffusion_pytorch_model.safetensors
 * unet_ema/...                          the EMA weights, same format (when training with EMA)
 * scheduler/scheduler_config.json
 * optimizer.safetensors                 Adam's m and v as flat vectors (training only)
 * trainer_state.json                    step, epoch, seed, options, provenance (training only)
 * </pre>
 *
 * A checkpoint is written under a hidden staging name and renamed when complete ({@link
 * StagedOutput}), so a crash never leaves a half checkpoint under a real name; {@link #replace}
 * swaps a complete new one in for an old one, and {@link #cleanUp} removes what a crash leaves
 * behind. {@code DDPMPipeline.from_pretrained(dir)} opens it in Python.
 */
public final class Checkpoints {
  /** Weights file name diffusers uses. */
  public static final String WEIGHTS = "diffusion_pytorch_model.safetensors";

  private static final Pattern STEP_DIR = Pattern.compile("checkpoint-(\\d+)");

  private Checkpoints() {}

  /** What a checkpoint directory holds; absent parts are empty. */
  public record Contents(
      String source,
      UNetConfig unetConfig,
      Map<String, Tensor> unet,
      Optional<Map<String, Tensor>> ema,
      Optional<SchedulerConfig> scheduler,
      Optional<SafeTensors.Contents> optimizer,
      Optional<String> trainerState) {}

  /** Training state to store beside the weights. */
  public record TrainingState(Map<String, Tensor> optimizer, String trainerStateJson) {}

  /**
   * Writes a complete checkpoint to {@code dir} atomically ({@link StagedOutput}: a hidden sibling,
   * then one rename), replacing nothing: an existing {@code dir} is an error.
   */
  public static void write(
      Configuration conf,
      Path dir,
      UNetConfig unetConfig,
      Map<String, Tensor> unet,
      Map<String, Tensor> ema,
      SchedulerConfig scheduler,
      TrainingState training)
      throws IOException {
    if (dir.getFileSystem(conf).exists(dir)) {
      throw new IOException("checkpoint " + dir + " already exists");
    }
    try (StagedOutput out = StagedOutput.directory(conf, dir)) {
      writeInto(conf, out.path(), unetConfig, unet, ema, scheduler, training);
      out.create();
    }
  }

  /**
   * Writes a complete checkpoint to {@code dir}, replacing the one there so that at every instant
   * one of them exists complete ({@link StagedOutput#replace}, through {@link DirectoryReplace}).
   */
  public static void replace(
      Configuration conf,
      Path dir,
      UNetConfig unetConfig,
      Map<String, Tensor> unet,
      Map<String, Tensor> ema,
      SchedulerConfig scheduler,
      TrainingState training)
      throws IOException {
    try (StagedOutput out = StagedOutput.directory(conf, dir)) {
      writeInto(conf, out.path(), unetConfig, unet, ema, scheduler, training);
      out.replace();
    }
  }

  /** The files of a checkpoint, into the existing folder {@code tmp}. */
  private static void writeInto(
      Configuration conf,
      Path tmp,
      UNetConfig unetConfig,
      Map<String, Tensor> unet,
      Map<String, Tensor> ema,
      SchedulerConfig scheduler,
      TrainingState training)
      throws IOException {
    HadoopFiles.writeText(conf, new Path(tmp, "model_index.json"), modelIndex());
    writeUNet(conf, new Path(tmp, "unet"), unetConfig, unet);
    if (ema != null) {
      writeUNet(conf, new Path(tmp, "unet_ema"), unetConfig, ema);
    }
    HadoopFiles.writeText(
        conf, new Path(tmp, "scheduler/scheduler_config.json"), scheduler.toJson());
    if (training != null) {
      HadoopFiles.write(
          conf,
          new Path(tmp, "optimizer.safetensors"),
          SafeTensors.encode(training.optimizer(), Map.of("format", "spark-ddpm-adam")));
      HadoopFiles.writeText(conf, new Path(tmp, "trainer_state.json"), training.trainerStateJson());
    }
  }

  /**
   * Deletes what a crash can leave under a training run's {@code output}: staging copies of
   * checkpoints and replaced files ({@link StagedOutput#cleanUpUnder}); an interrupted {@link
   * #replace} (of {@code final/} or a {@code checkpoint-<step>}) is finished.
   */
  public static void cleanUp(Configuration conf, Path output) throws IOException {
    StagedOutput.cleanUpUnder(output.getFileSystem(conf), output);
  }

  /** Writes {@code config.json} and the weights of a UNet into {@code dir}. */
  public static void writeUNet(
      Configuration conf, Path dir, UNetConfig config, Map<String, Tensor> weights)
      throws IOException {
    HadoopFiles.writeText(conf, new Path(dir, "config.json"), config.toJson());
    HadoopFiles.write(
        conf, new Path(dir, WEIGHTS), SafeTensors.encode(weights, Map.of("format", "pt")));
  }

  private static String modelIndex() {
    JsonObject o = new JsonObject();
    o.addProperty("_class_name", "DDPMPipeline");
    o.addProperty("_diffusers_version", io.sparkddpm.base.ConfigJson.DIFFUSERS_VERSION);
    o.add("scheduler", pair("diffusers", "DDPMScheduler"));
    o.add("unet", pair("diffusers", "UNet2DModel"));
    return new com.google.gson.GsonBuilder().setPrettyPrinting().create().toJson(o);
  }

  private static JsonArray pair(String a, String b) {
    JsonArray arr = new JsonArray();
    arr.add(a);
    arr.add(b);
    return arr;
  }

  /**
   * Reads a checkpoint: a pipeline folder ({@code unet/} + {@code scheduler/}, as written here or
   * by diffusers' {@code save_pretrained}) or a bare UNet folder ({@code config.json} + weights).
   * Errors name the file and what is wrong with it.
   */
  public static Contents read(Configuration conf, Path dir) throws IOException {
    FileSystem fs = dir.getFileSystem(conf);
    dir = DirectoryReplace.resolve(fs, dir); // in the middle of a replace(): the complete one
    if (!fs.exists(dir)) {
      throw new FileNotFoundException("checkpoint " + dir + " does not exist");
    }
    Path unetDir = fs.exists(new Path(dir, "unet/config.json")) ? new Path(dir, "unet") : dir;
    Path configFile = new Path(unetDir, "config.json");
    Path weightsFile = new Path(unetDir, WEIGHTS);
    for (Path p : List.of(configFile, weightsFile)) {
      if (!fs.exists(p)) {
        throw new FileNotFoundException(
            dir
                + " is not a checkpoint: "
                + p
                + " is missing (expected unet/config.json and unet/"
                + WEIGHTS
                + ")");
      }
    }
    UNetConfig config =
        UNetConfig.fromJson(HadoopFiles.readText(conf, configFile), configFile.toString());
    Map<String, Tensor> unet = readWeights(conf, weightsFile);
    Path emaFile = new Path(dir, "unet_ema/" + WEIGHTS);
    Optional<Map<String, Tensor>> ema =
        fs.exists(emaFile) ? Optional.of(readWeights(conf, emaFile)) : Optional.empty();
    Path schedFile = new Path(dir, "scheduler/scheduler_config.json");
    Optional<SchedulerConfig> scheduler =
        fs.exists(schedFile)
            ? Optional.of(
                SchedulerConfig.fromJson(
                    HadoopFiles.readText(conf, schedFile), schedFile.toString()))
            : Optional.empty();
    Path optFile = new Path(dir, "optimizer.safetensors");
    Optional<SafeTensors.Contents> optimizer =
        fs.exists(optFile)
            ? Optional.of(SafeTensors.read(HadoopFiles.read(conf, optFile), optFile.toString()))
            : Optional.empty();
    Path stateFile = new Path(dir, "trainer_state.json");
    Optional<String> state =
        fs.exists(stateFile)
            ? Optional.of(HadoopFiles.readText(conf, stateFile))
            : Optional.empty();
    return new Contents(dir.toString(), config, unet, ema, scheduler, optimizer, state);
  }

  /** A weights file's tensors, all finite: NaN or infinite weights would only spread NaN. */
  private static Map<String, Tensor> readWeights(Configuration conf, Path file) throws IOException {
    Map<String, Tensor> tensors =
        SafeTensors.read(HadoopFiles.read(conf, file), file.toString()).tensors();
    for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
      requireFinite(e.getValue(), e.getKey(), file);
    }
    return tensors;
  }

  /** Refuses a float tensor holding NaN or an infinity, naming the file, tensor and element. */
  private static void requireFinite(Tensor tensor, String name, Path file) {
    double[] values =
        switch (tensor.dtype()) {
          case F32 -> toDoubles(tensor.toFloats());
          case F64 -> tensor.toDoubles();
          default -> new double[0]; // integer tensors are always finite
        };
    int bad = 0;
    int first = -1;
    for (int i = 0; i < values.length; i++) {
      if (!Double.isFinite(values[i])) {
        bad++;
        first = first < 0 ? i : first;
      }
    }
    if (bad > 0) {
      throw new IllegalArgumentException(
          String.format(
              "%s: tensor \"%s\" holds %d non-finite value(s) (first: %s at element %d of %d);"
                  + " weights must be finite",
              file, name, bad, values[first], first, values.length));
    }
  }

  private static double[] toDoubles(float[] f) {
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      d[i] = f[i];
    }
    return d;
  }

  /** The {@code checkpoint-<step>} folders under {@code output}, oldest first. */
  public static List<Path> list(Configuration conf, Path output) throws IOException {
    FileSystem fs = output.getFileSystem(conf);
    List<Path> found = new ArrayList<>();
    if (!fs.exists(output)) {
      return found;
    }
    for (FileStatus s : fs.listStatus(output)) {
      if (s.isDirectory() && STEP_DIR.matcher(s.getPath().getName()).matches()) {
        found.add(s.getPath());
      }
    }
    found.sort((a, b) -> Long.compare(stepOf(a), stepOf(b)));
    return found;
  }

  /** The step number of a {@code checkpoint-<step>} folder. */
  public static long stepOf(Path checkpoint) {
    Matcher m = STEP_DIR.matcher(checkpoint.getName());
    if (!m.matches()) {
      throw new IllegalArgumentException(checkpoint + " is not a checkpoint-<step> folder");
    }
    return Long.parseLong(m.group(1));
  }

  /** Deletes all but the newest {@code keep} step checkpoints. */
  public static void prune(Configuration conf, Path output, int keep) throws IOException {
    List<Path> all = list(conf, output);
    FileSystem fs = output.getFileSystem(conf);
    for (int i = 0; i < all.size() - keep; i++) {
      fs.delete(all.get(i), true);
    }
  }
}
