/**
 * Bytes in and out of the project: safetensors, checkpoints in diffusers' layout, PNG and Parquet.
 *
 * <p>Nothing here needs libtorch: the driver reads and writes parameters as plain arrays.
 */
package io.sparkddpm.io;
