package io.sparkddpm;

import io.sparkddpm.data.IdxFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The pinned PyTorch + diffusers venv of submit/common.sh ({@code torch_venv 2.7.1 0.42.1 $NUMPY}),
 * made once and cached, for tests that let diffusers itself read what the project wrote.
 */
public final class TorchVenv {
  private TorchVenv() {}

  /** The venv's python (created on first use, which downloads torch). */
  public static Path python() throws IOException, InterruptedException {
    Path project = IdxFiles.projectDir();
    String cmd = "source submit/common.sh && torch_venv 2.7.1 0.42.1 \"$NUMPY\"";
    Process p =
        new ProcessBuilder("bash", "-c", cmd)
            .directory(project.toFile())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
      throw new IllegalStateException("torch_venv failed: " + out);
    }
    return Path.of(out);
  }

  /** Runs the test resource script {@code resource} with {@code args}; its standard output. */
  public static String run(String resource, String... args) throws Exception {
    Path script = Path.of(TorchVenv.class.getResource(resource).toURI());
    List<String> cmd = new ArrayList<>(List.of(python().toString(), script.toString()));
    cmd.addAll(List.of(args));
    Process p =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.PIPE)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
      throw new IllegalStateException(resource + " failed: " + out);
    }
    return out;
  }
}
