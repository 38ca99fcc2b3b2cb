package io.sparkddpm.diffusion;

import static io.sparkddpm.base.ConfigJson.require;

import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import io.sparkddpm.base.ConfigJson;
import io.sparkddpm.diffusion.SchedulerConfig.Algorithm;
import java.math.BigDecimal;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;

/** {@link SchedulerConfig} to and from diffusers' {@code scheduler_config.json}. */
final class SchedulerConfigJson {

  /**
   * Keys diffusers writes for features this port does not implement: accepted only at their
   * default, where they change nothing, and written back so diffusers reads the same scheduler.
   */
  private static final Map<String, JsonElement> IGNORED_AT_DEFAULT =
      Map.of(
          "trained_betas", JsonNull.INSTANCE,
          "thresholding", new JsonPrimitive(false),
          "dynamic_thresholding_ratio", new JsonPrimitive(0.995),
          "sample_max_value", new JsonPrimitive(1.0),
          "rescale_betas_zero_snr", new JsonPrimitive(false));

  /**
   * {@code DPMSolverMultistepScheduler}'s own keys at the values {@link
   * DpmSolverMultistepScheduler} implements (diffusers' defaults): accepted only at these, written
   * for that class. DDPM and DDIM configs may carry them, as diffusers' {@code from_config} allows.
   */
  private static final Map<String, JsonElement> DPM_SOLVER_KEYS =
      Map.ofEntries(
          Map.entry("algorithm_type", new JsonPrimitive("dpmsolver++")),
          Map.entry("solver_order", new JsonPrimitive(2)),
          Map.entry("solver_type", new JsonPrimitive("midpoint")),
          Map.entry("lower_order_final", new JsonPrimitive(true)),
          Map.entry("euler_at_final", new JsonPrimitive(false)),
          Map.entry("final_sigmas_type", new JsonPrimitive("zero")),
          Map.entry("lambda_min_clipped", new JsonPrimitive(Double.NEGATIVE_INFINITY)),
          Map.entry("use_karras_sigmas", new JsonPrimitive(false)),
          Map.entry("use_exponential_sigmas", new JsonPrimitive(false)),
          Map.entry("use_beta_sigmas", new JsonPrimitive(false)),
          Map.entry("use_lu_lambdas", new JsonPrimitive(false)),
          Map.entry("use_flow_sigmas", new JsonPrimitive(false)),
          Map.entry("flow_shift", new JsonPrimitive(1.0)),
          Map.entry("use_dynamic_shifting", new JsonPrimitive(false)),
          Map.entry("time_shift_type", new JsonPrimitive("exponential")));

  /** Every key accepted only at one value: both maps (no key is in both). */
  private static final Map<String, JsonElement> AT_DEFAULT = atDefault();

  private static Map<String, JsonElement> atDefault() {
    Map<String, JsonElement> all = new HashMap<>(DPM_SOLVER_KEYS);
    all.putAll(IGNORED_AT_DEFAULT);
    return Map.copyOf(all);
  }

  /** See {@link SchedulerConfig#fromJson}. */
  static SchedulerConfig read(String json, String source) {
    try {
      JsonObject o = JsonParser.parseString(json).getAsJsonObject();
      SchedulerConfig d = SchedulerConfig.ddpm();
      Algorithm algorithm =
          Algorithm.ofClassName(string(o, "_class_name", Algorithm.DDPM.className()));
      boolean dpm = algorithm == Algorithm.DPMSOLVER_PLUSPLUS;
      // DPM-Solver's variance_type is null ("the model predicts no variance"), its default
      if (dpm && o.get("variance_type") instanceof JsonNull) {
        o.remove("variance_type");
      }
      ConfigJson.checkKeys(o, KEYS, AT_DEFAULT);
      return new SchedulerConfig(
          algorithm,
          integer(o, "num_train_timesteps", d.numTrainTimesteps()),
          number(o, "beta_start", d.betaStart()),
          number(o, "beta_end", d.betaEnd()),
          BetaSchedule.parse(string(o, "beta_schedule", d.betaSchedule().diffusersName())),
          bool(o, "clip_sample", d.clipSample()),
          number(o, "clip_sample_range", d.clipSampleRange()),
          string(o, "prediction_type", d.predictionType()),
          string(o, "variance_type", d.varianceType()),
          string(o, "timestep_spacing", dpm ? "linspace" : d.timestepSpacing()),
          integer(o, "steps_offset", d.stepsOffset()),
          bool(o, "set_alpha_to_one", d.setAlphaToOne()),
          0.0);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
    }
  }

  /**
   * Keys read into the record. Both classes' keys are accepted whatever the class, because
   * diffusers' {@code from_config} lets a DDPM config build a DDIM scheduler and back.
   */
  private static final Set<String> KEYS =
      Set.of(
          "_class_name",
          "_diffusers_version",
          "num_train_timesteps",
          "beta_start",
          "beta_end",
          "beta_schedule",
          "clip_sample",
          "clip_sample_range",
          "prediction_type",
          "variance_type",
          "timestep_spacing",
          "steps_offset",
          "set_alpha_to_one");

  /** The value of {@code key} if present, checked to be of the {@code kind} diffusers writes. */
  private static JsonPrimitive get(
      JsonObject o, String key, Predicate<JsonPrimitive> isKind, String kind) {
    JsonElement e = o.get(key);
    if (e == null) {
      return null;
    }
    require(e.isJsonPrimitive() && isKind.test(e.getAsJsonPrimitive()), key + " must be " + kind);
    return e.getAsJsonPrimitive();
  }

  private static String string(JsonObject o, String key, String fallback) {
    JsonPrimitive p = get(o, key, JsonPrimitive::isString, "a string");
    return p == null ? fallback : p.getAsString();
  }

  private static double number(JsonObject o, String key, double fallback) {
    JsonPrimitive p = get(o, key, JsonPrimitive::isNumber, "a number");
    return p == null ? fallback : p.getAsDouble();
  }

  private static int integer(JsonObject o, String key, int fallback) {
    double x = number(o, key, fallback);
    require(x == Math.rint(x) && Math.abs(x) <= Integer.MAX_VALUE, key + " must be an integer");
    return (int) x;
  }

  private static boolean bool(JsonObject o, String key, boolean fallback) {
    JsonPrimitive p = get(o, key, JsonPrimitive::isBoolean, "true/false");
    return p == null ? fallback : p.getAsBoolean();
  }

  /** See {@link SchedulerConfig#toJson}. */
  static String write(SchedulerConfig c) {
    Map<String, JsonElement> m = new TreeMap<>(IGNORED_AT_DEFAULT);
    m.put("_class_name", new JsonPrimitive(c.algorithm().className()));
    m.put("_diffusers_version", new JsonPrimitive(ConfigJson.DIFFUSERS_VERSION));
    m.put("num_train_timesteps", new JsonPrimitive(c.numTrainTimesteps()));
    m.put("beta_start", pythonFloat(c.betaStart()));
    m.put("beta_end", pythonFloat(c.betaEnd()));
    m.put("beta_schedule", new JsonPrimitive(c.betaSchedule().diffusersName()));
    m.put("clip_sample", new JsonPrimitive(c.clipSample()));
    m.put("clip_sample_range", pythonFloat(c.clipSampleRange()));
    m.put("prediction_type", new JsonPrimitive(c.predictionType()));
    m.put("timestep_spacing", new JsonPrimitive(c.timestepSpacing()));
    m.put("steps_offset", new JsonPrimitive(c.stepsOffset()));
    switch (c.algorithm()) {
      case DDPM -> m.put("variance_type", new JsonPrimitive(c.varianceType()));
      case DDIM -> m.put("set_alpha_to_one", new JsonPrimitive(c.setAlphaToOne()));
      case DPMSOLVER_PLUSPLUS -> {
        m.remove("clip_sample"); // DPM-Solver has no clipping
        m.remove("clip_sample_range");
        m.putAll(DPM_SOLVER_KEYS);
        m.put("variance_type", JsonNull.INSTANCE);
      }
    }
    JsonObject o = new JsonObject();
    m.forEach(o::add);
    return ConfigJson.pretty(o) + "\n";
  }

  /** Shortest decimal that reads back as {@code x}, with a ".0" on integral values, as Python. */
  private static JsonPrimitive pythonFloat(double x) {
    BigDecimal d = new BigDecimal(Double.toString(x)).stripTrailingZeros();
    return new JsonPrimitive(d.scale() <= 0 ? d.setScale(1) : d);
  }

  private SchedulerConfigJson() {}
}
