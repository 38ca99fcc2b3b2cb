/**
 * Command lines of the jobs: options read off the annotated components of each job's config record
 * (command line over {@code --config} file over defaults), usage text, and the exit codes the thin
 * entry classes return.
 */
package io.sparkddpm.cli;
