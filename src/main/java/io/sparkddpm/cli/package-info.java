/**
 * Command lines of the jobs: option declarations, parsing (command line over {@code --config} file
 * over defaults), usage text, and the exit codes the thin entry classes return.
 */
package io.sparkddpm.cli;
