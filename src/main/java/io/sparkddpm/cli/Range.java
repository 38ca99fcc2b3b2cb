package io.sparkddpm.cli;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The values a numeric option accepts, beside its {@code @Option} on a config record's component:
 * {@code @Range(min = 1)} is {@code >= 1}, {@code @Range(min = 0, max = 1, maxOpen = true)} is
 * {@code [0, 1)}. {@link Options} checks it and names the option and the value it refuses.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.RECORD_COMPONENT)
public @interface Range {
  /** The smallest value accepted (or, with {@link #minOpen}, the bound above which values are). */
  double min() default Double.NEGATIVE_INFINITY;

  /** The largest value accepted (or, with {@link #maxOpen}, the bound below which values are). */
  double max() default Double.POSITIVE_INFINITY;

  /** Whether {@link #min} itself is refused. */
  boolean minOpen() default false;

  /** Whether {@link #max} itself is refused. */
  boolean maxOpen() default false;
}
