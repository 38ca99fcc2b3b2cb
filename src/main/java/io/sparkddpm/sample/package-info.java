/**
 * Generation: the reverse diffusion loop over a batch of seeded images, and SampleJob, which
 * spreads it over the cluster and writes Parquet and PNG.
 */
package io.sparkddpm.sample;
