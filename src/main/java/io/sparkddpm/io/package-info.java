/**
 * Bytes in and out of the project: safetensors tensors ({@code Tensor}, {@code DType}), PNG,
 * Parquet, charts, and outputs written atomically on any Hadoop file system.
 *
 * <p>Nothing here needs libtorch: the driver reads and writes parameters as plain arrays. Nothing
 * here knows the model or the schedulers; what a checkpoint folder holds is {@code checkpoint}'s
 * business.
 */
package io.sparkddpm.io;
