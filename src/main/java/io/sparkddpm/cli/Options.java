package io.sparkddpm.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The declared options of one job. Values come from the command line ({@code --name value} or
 * {@code --name=value}; {@code --flag} for booleans), else from a {@code --config} file of {@code
 * name=value} lines, else from the declared default. Anything undeclared is an error.
 */
public final class Options {
  /** One option: its name without dashes, help text, default ({@code null} = required). */
  public record Spec(String name, String help, String defaultValue, boolean flag) {}

  private final String usageLine;
  private final Map<String, Spec> specs = new LinkedHashMap<>();

  /** Options for a job whose usage line is {@code usageLine}. */
  public Options(String usageLine) {
    this.usageLine = usageLine;
    flag("help", "print this help and exit");
    option("config", "file of name=value lines giving option defaults", "");
  }

  /** Declares an option taking a value; {@code defaultValue == null} makes it required. */
  public Options option(String name, String help, String defaultValue) {
    specs.put(name, new Spec(name, help, defaultValue, false));
    return this;
  }

  /** Declares a boolean flag, false unless given. */
  public Options flag(String name, String help) {
    specs.put(name, new Spec(name, help, "false", true));
    return this;
  }

  /** The usage text: the usage line and one line per option with its default. */
  public String usage() {
    StringBuilder b = new StringBuilder("Usage: ").append(usageLine).append("\n\nOptions:\n");
    for (Spec s : specs.values()) {
      String left = "  --" + s.name() + (s.flag() ? "" : " <value>");
      b.append(String.format("%-30s %s", left, s.help()));
      if (!s.flag()) {
        b.append(s.defaultValue() == null ? " (required)" : " (default: " + s.defaultValue() + ")");
      }
      b.append('\n');
    }
    return b.toString();
  }

  /** Parses {@code args}; {@link UsageException} on anything the job cannot use. */
  public Parsed parse(String[] args) {
    Map<String, String> cli = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (!a.startsWith("--")) {
        throw new UsageException("unexpected argument \"" + a + "\"; options start with --");
      }
      String name = a.substring(2);
      String value = null;
      int eq = name.indexOf('=');
      if (eq >= 0) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      }
      Spec spec = specs.get(name);
      if (spec == null) {
        throw new UsageException("unknown option --" + name);
      }
      if (spec.flag()) {
        cli.put(name, value == null ? "true" : value);
      } else {
        if (value == null) {
          if (i + 1 >= args.length) {
            throw new UsageException("--" + name + " needs a value");
          }
          value = args[++i];
        }
        cli.put(name, value);
      }
    }
    Map<String, String> values = new LinkedHashMap<>();
    for (Spec s : specs.values()) {
      values.put(s.name(), s.defaultValue());
    }
    if (!Boolean.parseBoolean(cli.getOrDefault("help", "false"))) {
      String config = cli.getOrDefault("config", "");
      if (!config.isEmpty()) {
        values.putAll(readConfigFile(Path.of(config)));
      }
    }
    values.putAll(cli);
    return new Parsed(values);
  }

  private Map<String, String> readConfigFile(Path file) {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      p.load(r);
    } catch (IOException e) {
      throw new UsageException("--config " + file + ": cannot read: " + e.getMessage());
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (String key : p.stringPropertyNames()) {
      Spec spec = specs.get(key);
      if (spec == null || key.equals("config") || key.equals("help")) {
        throw new UsageException("--config " + file + ": unknown option \"" + key + "\"");
      }
      out.put(key, p.getProperty(key).trim());
    }
    return out;
  }

  /** Resolved option values with typed, validated accessors. */
  public final class Parsed {
    private final Map<String, String> values;

    private Parsed(Map<String, String> values) {
      this.values = values;
    }

    /** Whether {@code --help} was given. */
    public boolean help() {
      return flag("help");
    }

    /** The raw value; a required option that is missing is a usage error. */
    public String string(String name) {
      if (!specs.containsKey(name)) {
        throw new IllegalArgumentException("undeclared option " + name);
      }
      String v = values.get(name);
      if (v == null) {
        throw new UsageException("--" + name + " is required");
      }
      return v;
    }

    /** An integer option. */
    public int integer(String name) {
      try {
        return Integer.parseInt(string(name).trim());
      } catch (NumberFormatException e) {
        throw new UsageException(
            "--" + name + ": expected an integer, got \"" + values.get(name) + "\"");
      }
    }

    /** A long option. */
    public long longValue(String name) {
      try {
        return Long.parseLong(string(name).trim());
      } catch (NumberFormatException e) {
        throw new UsageException(
            "--" + name + ": expected an integer, got \"" + values.get(name) + "\"");
      }
    }

    /** A decimal option. */
    public double decimal(String name) {
      try {
        return Double.parseDouble(string(name).trim());
      } catch (NumberFormatException e) {
        throw new UsageException(
            "--" + name + ": expected a number, got \"" + values.get(name) + "\"");
      }
    }

    /** A boolean flag. */
    public boolean flag(String name) {
      String v = string(name).trim();
      if (!v.equals("true") && !v.equals("false")) {
        throw new UsageException("--" + name + ": expected true or false, got \"" + v + "\"");
      }
      return Boolean.parseBoolean(v);
    }

    /** All values, for provenance. */
    public Map<String, String> asMap() {
      Map<String, String> copy = new LinkedHashMap<>(values);
      copy.remove("help");
      return copy;
    }

    /** Names of the options given, in declaration order. */
    public List<String> names() {
      return new ArrayList<>(values.keySet());
    }
  }
}
