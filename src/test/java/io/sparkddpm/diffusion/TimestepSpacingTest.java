package io.sparkddpm.diffusion;

import static io.sparkddpm.diffusion.DdpmSchedulerTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkddpm.Reference;
import io.sparkddpm.diffusion.SchedulerConfig.Algorithm;
import io.sparkddpm.io.SafeTensors;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every inference schedule of n = 1..1000 steps against diffusers 0.42.1's {@code set_timesteps}
 * (reference/timesteps.safetensors.gz), for DDPM, DDIM and DPM-Solver++ and all three spacings.
 */
class TimestepSpacingTest {

  private static final SafeTensors.Contents REF = Reference.timesteps();

  /** diffusers' timesteps for n = 1..1000: the delta-encoded lists of the reference, decoded. */
  private static List<long[]> diffusers(String scheduler, String spacing) {
    String p = scheduler + "." + spacing + ".";
    int[] lengths = REF.get(p + "lengths").toInts();
    int[] deltas = REF.get(p + "deltas").toInts();
    List<long[]> out = new ArrayList<>();
    int at = 0;
    for (int length : lengths) {
      long[] ts = new long[length];
      long value = 0;
      for (int i = 0; i < length; i++) {
        value += deltas[at++];
        ts[i] = value;
      }
      out.add(ts);
    }
    assertEquals(deltas.length, at, "lengths cover all deltas");
    assertEquals(1000, out.size());
    return out;
  }

  private static NoiseScheduler scheduler(Algorithm algorithm, String spacing) {
    return NoiseScheduler.create(
        SchedulerConfig.ddpm().withAlgorithm(algorithm).withTimestepSpacing(spacing));
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({
    "ddpm, leading",
    "ddpm, trailing",
    "ddpm, linspace",
    "ddim, leading",
    "ddim, trailing",
    "ddim, linspace",
    "dpmsolver++, leading",
    "dpmsolver++, trailing",
    "dpmsolver++, linspace"
  })
  void everyStepCountEqualsDiffusers(String name, String spacing) {
    Algorithm algorithm = Algorithm.ofShortName(name);
    List<long[]> expected = diffusers(name.replace("++", ""), spacing);
    NoiseScheduler s = scheduler(algorithm, spacing);
    int equal = 0;
    List<Integer> extraMinusOne = new ArrayList<>();
    List<Integer> refused = new ArrayList<>();
    for (int n = 1; n <= 1000; n++) {
      long[] want = expected.get(n - 1);
      if (want.length == n + 1) {
        // numpy's arange gave one element too many: diffusers' schedule ends in an extra -1
        assertEquals("trailing", spacing, "n = " + n);
        assertEquals(-1, want[n], "n = " + n);
        want = Arrays.copyOf(want, n);
        extraMinusOne.add(n);
      }
      if (hasRepeats(want)) {
        // a repeated timestep makes DPM-Solver divide by h = 0; refused instead
        int steps = n;
        assertEquals(Algorithm.DPMSOLVER_PLUSPLUS, algorithm, "n = " + n);
        assertMessage(() -> s.setTimesteps(steps), "repeat timestep");
        refused.add(n);
        continue;
      }
      s.setTimesteps(n);
      assertArrayEquals(want, s.timesteps(), name + " " + spacing + " n = " + n);
      equal++;
    }
    System.out.printf(
        "%-11s %-8s: %4d of 1000 schedules equal diffusers'; extra -1 dropped for %d n %s;"
            + " refused (repeated timesteps) for n %s%n",
        name, spacing, equal, extraMinusOne.size(), brief(extraMinusOne), refused);
    assertEquals(spacing.equals("trailing") ? 62 : 0, extraMinusOne.size());
    int expectedRefusals =
        algorithm == Algorithm.DPMSOLVER_PLUSPLUS && !spacing.equals("trailing") ? 1 : 0;
    assertEquals(expectedRefusals, refused.size());
  }

  private static boolean hasRepeats(long[] ts) {
    for (int i = 1; i < ts.length; i++) {
      if (ts[i] >= ts[i - 1]) {
        return true;
      }
    }
    return false;
  }

  private static String brief(List<Integer> ns) {
    return ns.isEmpty() ? "" : "(" + ns.subList(0, Math.min(3, ns.size())) + "...)";
  }

  @Test
  void trailingStartsAtTheNoisiestTimestepAndLinspaceEndsAtZero() {
    NoiseScheduler s = scheduler(Algorithm.DDPM, "trailing");
    s.setTimesteps(10);
    assertArrayEquals(new long[] {999, 899, 799, 699, 599, 499, 399, 299, 199, 99}, s.timesteps());
    s = scheduler(Algorithm.DDPM, "linspace");
    s.setTimesteps(7);
    assertArrayEquals(new long[] {999, 832, 666, 500, 333, 166, 0}, s.timesteps());
  }

  @Test
  void stepsOffsetShiftsOnlyLeading() {
    for (String spacing : new String[] {"trailing", "linspace"}) {
      SchedulerConfig c =
          SchedulerConfig.fromJson(
              "{\"steps_offset\": 1, \"timestep_spacing\": \"" + spacing + "\"}", "offset.json");
      NoiseScheduler shifted = NoiseScheduler.create(c);
      NoiseScheduler plain = scheduler(Algorithm.DDPM, spacing);
      shifted.setTimesteps(13);
      plain.setTimesteps(13);
      assertArrayEquals(plain.timesteps(), shifted.timesteps(), spacing);
    }
  }

  @Test
  void unknownSpacingIsRefusedListingTheSupportedOnes() {
    var e =
        assertThrows(
            IllegalArgumentException.class,
            () -> SchedulerConfig.ddpm().withTimestepSpacing("uniform"));
    assertTrue(
        e.getMessage().contains("\"leading\", \"trailing\" or \"linspace\""), e.getMessage());
  }
}
