/**
 * Checkpoints in diffusers' pipeline layout ({@code model_index.json}, {@code unet/}, {@code
 * scheduler/}, plus the trainer's optimizer and state): writing one atomically, replacing one so a
 * complete copy always exists, reading one back with its UNet and scheduler configs, listing and
 * pruning {@code checkpoint-<step>} folders, and cleaning up after a crash.
 *
 * <p>It sits above {@code model} and {@code diffusion} because a checkpoint carries their configs;
 * {@code io} below it only moves bytes.
 */
package io.sparkddpm.checkpoint;
