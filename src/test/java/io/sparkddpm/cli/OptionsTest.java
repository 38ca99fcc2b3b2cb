package io.sparkddpm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkddpm.eval.EvaluateConfig;
import io.sparkddpm.sample.SampleConfig;
import io.sparkddpm.train.TrainConfig;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

class OptionsTest {
  @TempDir Path work;

  /** How a choice is spelled on the command line: its toString(). */
  enum Speed {
    SLOW,
    FAST_ENOUGH;

    @Override
    public String toString() {
      return name().toLowerCase().replace('_', '-');
    }
  }

  @Command(customSynopsis = "demo --name <n> [options]")
  record Demo(
      @Option(names = "--name", required = true, description = "who") String name,
      @Option(names = "--count", defaultValue = "3", description = "how many") @Range(min = 1)
          int count,
      @Option(names = "--rate", defaultValue = "0.5", description = "share of ${top} (1 = 100%)")
          @Range(min = 0, max = 1, maxOpen = true)
          double rate,
      @Option(names = "--limit", defaultValue = "", description = "upper bound; empty = none")
          double limit,
      @Option(names = "--speed", defaultValue = "slow", description = "pace") Speed speed,
      @Option(names = "--pace", defaultValue = "", description = "pace; empty = the file's")
          Speed pace,
      @Option(names = "--loud", description = "shout") boolean loud,
      @Option(names = "--seed", defaultValue = "-1", hidden = true, description = "testing only")
          long seed,
      Map<String, String> values) {}

  private static final Options<Demo> DEMO = Options.of(Demo.class);

  private static String refused(String... args) {
    return assertThrows(UsageException.class, () -> DEMO.parse(args)).getMessage();
  }

  @Test
  void oneDeclarationGivesTypedValuesDefaultsAndProvenance() {
    Demo d = DEMO.parse("--name", "x", "--rate=0.25", "--speed", "FAST-enough", "--loud");
    assertEquals("x", d.name());
    assertEquals(3, d.count());
    assertEquals(0.25, d.rate());
    assertTrue(Double.isNaN(d.limit()), "an empty default is unset");
    assertEquals(Speed.FAST_ENOUGH, d.speed());
    assertNull(d.pace(), "an empty choice is unset");
    assertTrue(d.loud());
    assertEquals(-1, d.seed());
    assertEquals(
        Map.of(
            "config", "",
            "name", "x",
            "count", "3",
            "rate", "0.25",
            "limit", "",
            "speed", "FAST-enough",
            "pace", "",
            "loud", "true",
            "seed", "-1"),
        d.values(),
        "values as given, keyed without dashes");
    assertFalse(DEMO.parse("--name", "x", "--loud=false").loud());
    assertEquals(7, DEMO.parse("--name", "x", "--count", "5", "--count", "7").count(), "last wins");
  }

  @Test
  void badValuesAreUsageErrorsNamingOptionAndValue() {
    assertEquals("--name is required", refused("--count", "2"));
    assertEquals("--name is required", refused("--name", " "));
    assertEquals("--count must be >= 1, got 0", refused("--name", "x", "--count", "0"));
    assertEquals(
        "--count: expected an integer, got \"two\"", refused("--name", "x", "--count", "two"));
    assertEquals("--rate must be in [0, 1), got 1", refused("--name", "x", "--rate", "1"));
    assertEquals(
        "--rate: expected a finite number, got \"NaN\"", refused("--name", "x", "--rate", "NaN"));
    assertEquals(
        "--speed: expected slow or fast-enough, got \"quick\"",
        refused("--name", "x", "--speed", "quick"));
    assertEquals(
        "--speed: expected slow or fast-enough, got \"\"", refused("--name", "x", "--speed", ""));
    assertEquals(
        "--loud: expected true or false, got \"yes\"", refused("--name", "x", "--loud=yes"));
    assertEquals("unknown option --bogus", refused("--name", "x", "--bogus=1"));
    assertEquals(
        "unexpected argument \"stray\"; options start with --", refused("--name", "x", "stray"));
    assertEquals("--count needs a value", refused("--name", "x", "--count"));
  }

  @Test
  void commandLineWinsOverConfigFileOverDefault() throws Exception {
    Path file = work.resolve("demo.properties");
    Files.writeString(file, "# a comment\ncount = 9\nrate=0.125\nname=from-file\n");
    Demo d = DEMO.parse("--config", file.toString(), "--count", "4");
    assertEquals(4, d.count());
    assertEquals(0.125, d.rate());
    assertEquals("from-file", d.name(), "a required option may come from the file");
    assertEquals(file.toString(), d.values().get("config"));
    assertEquals("0.125", d.values().get("rate"));

    Files.writeString(file, "count=9\ncolour=red\n");
    assertEquals(
        "--config " + file + ": unknown option \"colour\"",
        refused("--config", file.toString(), "--name", "x"));
    Files.writeString(file, "config=other.properties\n");
    assertTrue(refused("--config", file.toString(), "--name", "x").contains("\"config\""));
    Files.writeString(file, "count=0\n");
    assertEquals(
        "--count must be >= 1, got 0 (in --config " + file + ")",
        refused("--config", file.toString(), "--name", "x"));
    assertTrue(
        refused("--config", work.resolve("none").toString(), "--name", "x")
            .startsWith("--config " + work.resolve("none") + ": cannot read"));
  }

  @Test
  void helpListsVisibleOptionsWithDefaultsAndHidesTestSeams() {
    assertTrue(DEMO.helpRequested("--help"));
    assertFalse(DEMO.helpRequested("--name", "x"));
    String usage = DEMO.usage();
    assertTrue(usage.startsWith("Usage: demo --name <n> [options]"), usage);
    assertTrue(usage.contains("--count=<value>"), usage);
    assertTrue(usage.contains("how many (>= 1; default: 3)"), usage);
    assertTrue(usage.contains("pace (one of slow, fast-enough; default: slow)"), usage);
    assertTrue(usage.contains("--loud[=true|false]"), usage);
    assertTrue(usage.contains("share of ${top} (1 = 100%) (in [0, 1); default: 0.5)"), usage);
    assertTrue(usage.indexOf("--name") < usage.indexOf("--count"), "in declaration order");
    assertTrue(usage.contains("who (required)"), usage);
    assertTrue(usage.contains("--config=<file>"), usage);
    assertFalse(usage.contains("--seed"), usage);

    for (Options<?> job : new Options<?>[] {TrainConfig.OPTIONS, SampleConfig.OPTIONS}) {
      String help = job.usage();
      assertFalse(help.contains("inject"), help);
      assertTrue(help.contains("--batch-size=<value>"), help);
    }
    String train = TrainConfig.OPTIONS.usage().replaceAll("\\s+", " "); // unwrapped
    assertTrue(train.contains("one of per-step, persistent; default: per-step"), train);
    assertTrue(train.contains("one of ddpm, ddim, dpmsolver++; default: ddpm"), train);
    assertTrue(train.contains("one of minus_one_to_one, zero_to_one; default:"), train);
    assertTrue(EvaluateConfig.OPTIONS.usage().contains("--min-classifier-accuracy"));
  }

  @Test
  void jobConfigsKeepTheirSpellingsAndTestSeams() throws Exception {
    TrainConfig t =
        TrainConfig.parse(
            "--data",
            "d",
            "--output",
            "o",
            "--mode",
            "persistent",
            "--pixel-range",
            "zero_to_one",
            "--inject-nan-at-step",
            "3");
    assertEquals(TrainConfig.Mode.PERSISTENT, t.mode());
    assertEquals(io.sparkddpm.data.PixelRange.ZERO_TO_ONE, t.range());
    assertEquals(3, t.injectNanAtStep());
    assertEquals("1e-3", t.values().get("lr"));

    SampleConfig s = SampleConfig.parse("--model", "m", "--output", "o", "--scheduler", "ddim");
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(s);
    }
    try (ObjectInputStream in =
        new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      assertEquals(s, in.readObject(), "shipped to executors");
    }
    assertEquals(io.sparkddpm.diffusion.SchedulerConfig.Algorithm.DDIM, s.scheduler());
    assertNull(s.pixelRange());

    EvaluateConfig e = EvaluateConfig.parse("--samples", "s", "--data", "d", "--output", "o");
    assertTrue(Double.isNaN(e.maxFid()));
    assertEquals(
        "--max-fid must be >= 0, got -1",
        assertThrows(
                UsageException.class,
                () ->
                    EvaluateConfig.parse(
                        "--samples", "s", "--data", "d", "--output", "o", "--max-fid", "-1"))
            .getMessage());
  }
}
