/**
 * The persistent training mode: one long-lived Spark barrier stage whose tasks keep their model and
 * shard and exchange with the driver every step over an authenticated socket, instead of one Spark
 * job per step. The driver still reduces in partition order and owns the optimizer.
 */
package io.sparkddpm.train.persistent;
