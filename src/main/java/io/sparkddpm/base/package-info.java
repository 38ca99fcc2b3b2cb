/**
 * The bottom layer: the few types every other package may use and that depend on nothing of the
 * project, such as {@link io.sparkddpm.base.BadInputException}, the one way domain code says "this
 * input cannot be used" without knowing whether a command line, a test or a scheduler asked, and
 * {@link io.sparkddpm.base.ConfigJson}, the one strict codec of the config files.
 */
package io.sparkddpm.base;
