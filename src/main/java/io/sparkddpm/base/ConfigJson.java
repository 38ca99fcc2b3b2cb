package io.sparkddpm.base;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.gson.TypeAdapter;
import com.google.gson.annotations.SerializedName;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonWriter;
import java.io.IOException;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The one strict JSON codec of the project's config files: diffusers' {@code unet/config.json} and
 * {@code scheduler_config.json}, the classifier's {@code config.json}.
 *
 * <p>A config's keys are the {@link SerializedName}s of the fields of one plain class (usually its
 * builder), and that class's field initialisers are the defaults a missing key takes; a field whose
 * default is {@code null} is a required key unless marked {@link Optional}. Every value must be of
 * the JSON kind its field's type names (no {@code "32"} for an int, no {@code 32.5} either). Keys
 * for features a port does not implement may be accepted at one fixed value each. Keys starting
 * with {@code _} are diffusers' metadata ({@code _diffusers_version}, {@code _name_or_path}, ...)
 * and ignored, except {@code _class_name}, which must name the class read. Any other key is
 * refused, and every error names the file and the key.
 */
public final class ConfigJson {
  /**
   * The diffusers version the configs this project writes declare: the one whose models and
   * schedulers the reference tensors were made with (reference/README.md).
   */
  public static final String DIFFUSERS_VERSION = "0.40.0.dev0";

  private static final Gson GSON =
      new GsonBuilder()
          .registerTypeAdapter(int.class, strict("an integer", false, ConfigJson::integer))
          .registerTypeAdapter(Integer.class, strict("an integer", true, ConfigJson::integer))
          .registerTypeAdapter(double.class, strict("a number", false, ConfigJson::number))
          .registerTypeAdapter(Double.class, strict("a number", true, ConfigJson::number))
          .registerTypeAdapter(boolean.class, strict("true/false", false, ConfigJson::bool))
          .registerTypeAdapter(Boolean.class, strict("true/false", true, ConfigJson::bool))
          .registerTypeAdapter(String.class, strict("a string", true, ConfigJson::string))
          .serializeNulls()
          .disableHtmlEscaping()
          .create();

  private ConfigJson() {}

  /** Marks a field whose default is {@code null} as a key that may be missing (and stay null). */
  @Retention(RetentionPolicy.RUNTIME)
  @Target(ElementType.FIELD)
  public @interface Optional {}

  /**
   * Reads the config file {@code json} into a new {@code F} (missing keys keep its defaults) and
   * returns {@code build} of it; any error, also one {@code build} throws, names {@code source}.
   *
   * @param className the {@code _class_name} the file must have if it has one
   * @param fixed keys accepted only at the value given (features not implemented)
   */
  public static <F, T> T read(
      String json,
      String source,
      String className,
      Class<F> fields,
      Map<String, JsonElement> fixed,
      Function<F, T> build) {
    JsonObject o = object(json, source);
    try {
      JsonElement name = o.get("_class_name");
      require(
          name == null || name.equals(new JsonPrimitive(className)),
          "_class_name is " + name + ", expected \"" + className + "\"");
      List<Field> declared = fields(fields);
      checkKeys(o, declared.stream().map(ConfigJson::key).toList(), fixed);
      JsonObject values = new JsonObject();
      for (Field f : declared) {
        if (o.has(key(f))) {
          values.add(key(f), o.get(key(f)));
        }
      }
      F defaults = GSON.fromJson(new JsonObject(), fields);
      F read = GSON.fromJson(values, fields);
      for (Field f : declared) {
        require(
            f.get(defaults) != null || f.get(read) != null || f.isAnnotationPresent(Optional.class),
            "missing key \"" + key(f) + "\"");
      }
      return build.apply(read);
    } catch (IllegalAccessException e) {
      throw new IllegalStateException(e);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
    }
  }

  /** {@code fields} as JSON: each field under its key, in declaration order, nulls written. */
  public static JsonObject toJson(Object fields) {
    return GSON.toJsonTree(fields).getAsJsonObject();
  }

  /**
   * Indented as diffusers writes its configs: {@code null} values kept, non-finite numbers bare
   * ({@code -Infinity}) as Python's json writes them.
   */
  public static String pretty(JsonElement e) {
    return GSON.newBuilder()
        .setPrettyPrinting()
        .serializeSpecialFloatingPointValues()
        .create()
        .toJson(e);
  }

  /** {@code json} as an object, or an error naming {@code source}. */
  public static JsonObject object(String json, String source) {
    try {
      return JsonParser.parseString(json).getAsJsonObject();
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(source + ": not a JSON object: " + e.getMessage(), e);
    }
  }

  /**
   * Refuses any key of {@code o} that is neither metadata ({@code _...}), nor in {@code known}, nor
   * in {@code fixed} at its value there.
   */
  public static void checkKeys(
      JsonObject o, Collection<String> known, Map<String, JsonElement> fixed) {
    for (Map.Entry<String, JsonElement> e : o.entrySet()) {
      String key = e.getKey();
      JsonElement expected = fixed.get(key);
      if (expected != null) {
        require(
            sameValue(expected, e.getValue()),
            key + " = " + e.getValue() + " is not supported; only " + expected + " (the default)");
      } else {
        require(key.startsWith("_") || known.contains(key), "unknown key \"" + key + "\"");
      }
    }
  }

  /**
   * Whether two JSON values are equal, numbers by value ({@code 1} is {@code 1.0}, and the bare
   * {@code -Infinity} Python's json writes is negative infinity).
   */
  public static boolean sameValue(JsonElement expected, JsonElement actual) {
    if (expected.isJsonPrimitive()
        && actual.isJsonPrimitive()
        && expected.getAsJsonPrimitive().isNumber()
        && isNumber(actual.getAsJsonPrimitive())) {
      return expected.getAsDouble() == actual.getAsDouble();
    }
    return expected.equals(actual);
  }

  private static boolean isNumber(JsonPrimitive p) {
    return p.isNumber()
        || (p.isString() && Set.of("Infinity", "-Infinity", "NaN").contains(p.getAsString()));
  }

  /** Throws {@link IllegalArgumentException} with {@code message} unless {@code ok}. */
  public static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }

  private static List<Field> fields(Class<?> type) {
    List<Field> out = new ArrayList<>();
    for (Field f : type.getDeclaredFields()) {
      if (!Modifier.isStatic(f.getModifiers()) && !Modifier.isTransient(f.getModifiers())) {
        f.setAccessible(true);
        out.add(f);
      }
    }
    return out;
  }

  private static String key(Field f) {
    SerializedName name = f.getAnnotation(SerializedName.class);
    return name == null ? f.getName() : name.value();
  }

  private static Integer integer(JsonPrimitive p) {
    double x = p.isNumber() ? p.getAsDouble() : Double.NaN;
    return x == Math.rint(x) && Math.abs(x) <= Integer.MAX_VALUE ? (int) x : null;
  }

  private static Double number(JsonPrimitive p) {
    return p.isNumber() ? p.getAsDouble() : null;
  }

  private static Boolean bool(JsonPrimitive p) {
    return p.isBoolean() ? p.getAsBoolean() : null;
  }

  private static String string(JsonPrimitive p) {
    return p.isString() ? p.getAsString() : null;
  }

  /**
   * Reads a value only from a JSON primitive that {@code convert} accepts (it returns {@code null}
   * for one it does not); {@code nullable} also lets JSON {@code null} through.
   */
  private static <T> TypeAdapter<T> strict(
      String kind, boolean nullable, Function<JsonPrimitive, T> convert) {
    return new TypeAdapter<>() {
      @Override
      public T read(JsonReader in) throws IOException {
        String key = in.getPath().replaceFirst("^\\$\\.", "");
        JsonElement e = JsonParser.parseReader(in);
        if (e.isJsonNull() && nullable) {
          return null;
        }
        T value = e.isJsonPrimitive() ? convert.apply(e.getAsJsonPrimitive()) : null;
        require(value != null, key + " must be " + kind + ", got " + e);
        return value;
      }

      @Override
      public void write(JsonWriter out, T value) throws IOException {
        if (value == null) {
          out.nullValue();
        } else if (value instanceof Number n) {
          out.value(n);
        } else if (value instanceof Boolean b) {
          out.value(b);
        } else {
          out.value(value.toString());
        }
      }
    };
  }
}
