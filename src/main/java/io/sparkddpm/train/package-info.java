/**
 * Data-parallel DDPM training: the driver's step loop, Adam and EMA; the executors' per-step
 * gradient computation on their cached shard; the all-reduce between them; checkpoints and metrics.
 */
package io.sparkddpm.train;
