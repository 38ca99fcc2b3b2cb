package io.sparkddpm.cli;

import java.io.IOException;
import java.io.Reader;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;

/**
 * The command line of one job, read off its configuration record: each component annotated with
 * picocli's {@link Option} is one option, and that one declaration gives the flag, the default, the
 * help text and (with {@link Range}) the values accepted; the component's Java type gives the
 * parsing ({@code String}, {@code int}, {@code long}, {@code double}, {@code boolean} for a flag,
 * false unless given, or an enum whose constants' {@code toString()} are the choices, in any case).
 * The record's {@link Command#customSynopsis()} is the usage line.
 *
 * <p>A value comes from the command line ({@code --name value}, {@code --name=value}; a flag alone
 * is {@code true}), else from the {@code --config} file of {@code name=value} lines, else from the
 * declaration. An option whose declared default is empty may be left empty, which means "not set":
 * {@code null} for a choice, NaN for a decimal. The one component without {@code @Option}, {@code
 * Map<String, String> values}, receives every resolved value as it was given, keyed by the option's
 * name without dashes (with {@code config}): the provenance the jobs record.
 *
 * <p>picocli splits the command line and lays out {@code --help}; the conversion and checks are
 * here so that a value from the command line, the file and the declaration are read the same way,
 * and a bad one is a {@link UsageException} naming the option, the value and where it came from.
 */
public final class Options<C extends Record> {
  private static final String NO_DEFAULT = noDefault();

  private final Class<C> type;
  private final String synopsis;
  private final List<Setting> settings = new ArrayList<>();
  private final Constructor<C> constructor;
  private final int valuesIndex;

  /** One declared option: the record component it fills, at {@code index}. */
  private record Setting(int index, Class<?> type, Option option, Range range) {
    String name() {
      return flag().substring(2);
    }

    String flag() {
      return option.names()[0];
    }

    /** The declared default ({@code false} for a flag without one), {@code null} if required. */
    String defaultValue() {
      if (option.defaultValue().equals(NO_DEFAULT)) {
        return type == boolean.class ? "false" : null;
      }
      return option.defaultValue();
    }
  }

  private Options(Class<C> type) {
    this.type = type;
    Command command = type.getAnnotation(Command.class);
    this.synopsis = command == null ? "" : String.join("\n", command.customSynopsis());
    RecordComponent[] components = type.getRecordComponents();
    int values = -1;
    for (int i = 0; i < components.length; i++) {
      RecordComponent c = components[i];
      Option option = c.getAccessor().getAnnotation(Option.class);
      if (option == null && c.getName().equals("values") && c.getType() == Map.class) {
        values = i;
        continue;
      }
      if (option == null || !option.names()[0].startsWith("--")) {
        throw new IllegalStateException(type + "." + c.getName() + " needs @Option(names=\"--x\")");
      }
      Setting s = new Setting(i, c.getType(), option, c.getAnnotation(Range.class));
      if (s.defaultValue() == null && !option.required()) {
        throw new IllegalStateException(s.flag() + " needs a defaultValue or required = true");
      }
      settings.add(s);
    }
    this.valuesIndex = values;
    try {
      this.constructor =
          type.getDeclaredConstructor(
              Arrays.stream(components).map(RecordComponent::getType).toArray(Class<?>[]::new));
    } catch (NoSuchMethodException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The options declared by the record {@code type}. */
  public static <C extends Record> Options<C> of(Class<C> type) {
    return new Options<>(type);
  }

  /** Whether {@code args} ask for {@code --help}; a usage error if they cannot be split. */
  public boolean helpRequested(String... args) {
    return split(args).isUsageHelpRequested();
  }

  /** The configuration {@code args} give; {@link UsageException} on anything the job cannot use. */
  public C parse(String... args) {
    CommandLine.ParseResult given = split(args);
    String configFile = given.matchedOptionValue("--config", "");
    Map<String, String> file = configFile.isEmpty() ? Map.of() : readConfigFile(configFile);
    Map<String, String> values = new LinkedHashMap<>();
    values.put("config", configFile);
    Object[] fields = new Object[type.getRecordComponents().length];
    for (Setting s : settings) {
      String raw = s.defaultValue();
      String from = "";
      if (given.hasMatchedOption(s.flag())) {
        raw = given.matchedOptionValue(s.flag(), "");
      } else if (file.containsKey(s.name())) {
        raw = file.get(s.name());
        from = " (in --config " + configFile + ")";
      }
      if (s.option().required() && (raw == null || raw.isBlank())) {
        throw new UsageException(s.flag() + " is required");
      }
      values.put(s.name(), raw);
      fields[s.index()] = convert(s, raw, from);
    }
    if (valuesIndex >= 0) {
      fields[valuesIndex] = Collections.unmodifiableMap(values);
    }
    try {
      return constructor.newInstance(fields);
    } catch (InvocationTargetException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException(e.getCause());
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The usage text: the usage line, then every option that is not hidden, with its default. */
  public String usage() {
    return new CommandLine(spec()).getUsageMessage(CommandLine.Help.Ansi.OFF);
  }

  private CommandSpec spec() {
    CommandSpec spec = CommandSpec.create().interpolateVariables(false);
    spec.usageMessage()
        .customSynopsis(synopsis + "\n")
        .sortOptions(false)
        .width(100)
        .longOptionsMaxWidth(34);
    spec.parser().expandAtFiles(false).overwrittenOptionsAllowed(true);
    spec.addOption(
        OptionSpec.builder("--help")
            .usageHelp(true)
            .description("print this help and exit")
            .build());
    spec.addOption(
        OptionSpec.builder("--config")
            .type(String.class)
            .paramLabel("<file>")
            .description("file of name=value lines giving option defaults")
            .build());
    for (Setting s : settings) {
      boolean flag = s.type() == boolean.class;
      spec.addOption(
          OptionSpec.builder(s.flag())
              .type(String.class)
              .arity(flag ? "0..1" : "1")
              .fallbackValue("true")
              .paramLabel(flag ? "true|false" : "<value>")
              .hidden(s.option().hidden())
              .description(help(s))
              .build());
    }
    return spec;
  }

  /** The declared help text, with the choices, the accepted range and the default. */
  private static String help(Setting s) {
    StringBuilder b = new StringBuilder(String.join(" ", s.option().description()));
    List<String> notes = new ArrayList<>();
    if (s.type().isEnum()) {
      notes.add("one of " + String.join(", ", choices(s.type())));
    }
    if (s.range() != null) {
      notes.add(describe(s.range(), s.type() != double.class));
    }
    if (s.option().required()) {
      notes.add("required");
    } else if (!s.defaultValue().isEmpty() && s.type() != boolean.class) {
      notes.add("default: " + s.defaultValue());
    }
    return notes.isEmpty()
        ? b.toString()
        : b.append(" (").append(String.join("; ", notes)).append(')').toString();
  }

  /** Splits {@code args} into options; picocli's complaints become usage errors. */
  private CommandLine.ParseResult split(String[] args) {
    try {
      return new CommandLine(spec()).parseArgs(args);
    } catch (CommandLine.UnmatchedArgumentException e) {
      String arg = e.getUnmatched().get(0);
      throw new UsageException(
          arg.startsWith("-")
              ? "unknown option " + arg.split("=", 2)[0]
              : "unexpected argument \"" + arg + "\"; options start with --");
    } catch (CommandLine.MissingParameterException e) {
      String name = ((OptionSpec) e.getMissing().get(0)).longestName();
      throw new UsageException(name + " needs a value");
    } catch (CommandLine.ParameterException e) {
      throw new UsageException(e.getMessage());
    }
  }

  private Map<String, String> readConfigFile(String file) {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(Path.of(file), StandardCharsets.UTF_8)) {
      p.load(r);
    } catch (IOException | RuntimeException e) {
      throw new UsageException("--config " + file + ": cannot read: " + e.getMessage());
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (String key : p.stringPropertyNames()) {
      if (settings.stream().noneMatch(s -> s.name().equals(key))) {
        throw new UsageException("--config " + file + ": unknown option \"" + key + "\"");
      }
      out.put(key, p.getProperty(key).trim());
    }
    return out;
  }

  /** The value of {@code raw} for {@code s}, checked against its type and range. */
  private static Object convert(Setting s, String raw, String from) {
    Class<?> t = s.type();
    if (t == String.class) {
      return raw;
    }
    String v = raw.trim();
    if (v.isEmpty() && s.defaultValue() != null && s.defaultValue().isEmpty()) {
      if (t.isEnum()) {
        return null;
      }
      if (t == double.class) {
        return Double.NaN;
      }
    }
    String got = ", got \"" + raw + "\"" + from;
    Object value;
    try {
      if (t == int.class) {
        value = Integer.parseInt(v);
      } else if (t == long.class) {
        value = Long.parseLong(v);
      } else if (t == double.class) {
        double d = Double.parseDouble(v);
        if (!Double.isFinite(d)) {
          throw new NumberFormatException();
        }
        value = d;
      } else if (t == boolean.class) {
        if (!v.equals("true") && !v.equals("false")) {
          throw new UsageException(s.flag() + ": expected true or false" + got);
        }
        value = Boolean.parseBoolean(v);
      } else if (t.isEnum()) {
        value =
            Arrays.stream(t.getEnumConstants())
                .filter(c -> c.toString().equalsIgnoreCase(v))
                .findFirst()
                .orElseThrow(
                    () -> new UsageException(s.flag() + ": expected " + oneOf(choices(t)) + got));
      } else {
        throw new IllegalStateException(s.flag() + ": no conversion to " + t);
      }
    } catch (NumberFormatException e) {
      throw new UsageException(
          s.flag() + ": expected " + (t == double.class ? "a finite number" : "an integer") + got);
    }
    Range r = s.range();
    if (r != null && value instanceof Number n && !inside(r, n.doubleValue())) {
      throw new UsageException(
          s.flag() + " must be " + describe(r, t != double.class) + ", got " + v + from);
    }
    return value;
  }

  private static boolean inside(Range r, double v) {
    return (r.minOpen() ? v > r.min() : v >= r.min()) && (r.maxOpen() ? v < r.max() : v <= r.max());
  }

  /** {@code >= 1}, {@code in 1..1000} (integers), {@code in [0, 1)}, {@code > 0}. */
  private static String describe(Range r, boolean integral) {
    boolean lo = r.min() != Double.NEGATIVE_INFINITY;
    boolean hi = r.max() != Double.POSITIVE_INFINITY;
    if (lo && hi && integral && !r.minOpen() && !r.maxOpen()) {
      return "in " + number(r.min()) + ".." + number(r.max());
    }
    if (lo && hi) {
      return String.format(
          "in %s%s, %s%s",
          r.minOpen() ? "(" : "[", number(r.min()), number(r.max()), r.maxOpen() ? ")" : "]");
    }
    if (lo) {
      return (r.minOpen() ? "> " : ">= ") + number(r.min());
    }
    return (r.maxOpen() ? "< " : "<= ") + number(r.max());
  }

  private static String number(double d) {
    return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
  }

  /** {@code a or b}, {@code a, b or c}. */
  private static String oneOf(List<String> choices) {
    int last = choices.size() - 1;
    return last == 0
        ? choices.get(0)
        : String.join(", ", choices.subList(0, last)) + " or " + choices.get(last);
  }

  private static List<String> choices(Class<?> enumType) {
    return Arrays.stream(enumType.getEnumConstants())
        .map(c -> c.toString().toLowerCase(Locale.ROOT))
        .collect(Collectors.toList());
  }

  /** picocli's marker for "no defaultValue given", read off the annotation itself. */
  private static String noDefault() {
    try {
      return (String) Option.class.getMethod("defaultValue").getDefaultValue();
    } catch (NoSuchMethodException e) {
      throw new IllegalStateException(e);
    }
  }
}
