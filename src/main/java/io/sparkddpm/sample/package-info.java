/**
 * Generation: the reverse diffusion loop over a batch of seeded images, and SampleJob, which
 * spreads it over the cluster and writes Parquet and PNG. Training's epoch grids call the same
 * loop; nothing here knows training.
 */
package io.sparkddpm.sample;
