package io.sparkddpm.base;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * An enum constant known by the name diffusers writes in its config files (and the command line
 * spells), such as {@code "v_prediction"} or {@code "squaredcos_cap_v2"}; {@link #parse} is the one
 * lookup by that name.
 */
public interface DiffusersName {

  /** The name in diffusers' config files and on the command line. */
  String diffusersName();

  /**
   * The constant of {@code type} called {@code name}.
   *
   * @param key what the name is the value of, for the message (e.g. {@code prediction_type})
   * @throws IllegalArgumentException naming the value and listing the supported ones
   */
  static <E extends Enum<E> & DiffusersName> E parse(Class<E> type, String key, String name) {
    E[] values = type.getEnumConstants();
    for (E e : values) {
      if (e.diffusersName().equals(name)) {
        return e;
      }
    }
    throw new IllegalArgumentException(
        key
            + " \""
            + name
            + "\" is not supported; use one of "
            + Arrays.stream(values)
                .map(e -> "\"" + e.diffusersName() + "\"")
                .collect(Collectors.joining(", ")));
  }
}
