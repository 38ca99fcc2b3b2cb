/**
 * Experiment tracking where Spark and diffusers users look: MLflow runs through MLflow's REST API
 * (logged from the driver on a background thread, so a slow or absent server never holds up a step)
 * and TensorBoard event files written directly. Above {@code io}, below the jobs.
 */
package io.sparkddpm.tracking;
