/**
 * Data-parallel DDPM training: the driver's step loop, Adam and EMA; the executors' per-step
 * gradient computation on their cached shard; the all-reduce between them; metrics and the points
 * at which checkpoints ({@code checkpoint}) and epoch sample grids ({@code sample}'s loop) are
 * written.
 */
package io.sparkddpm.train;
