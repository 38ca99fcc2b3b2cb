/**
 * The noise-prediction network: a config-driven port of diffusers' {@code UNet2DModel} as DJL
 * blocks, with diffusers' state-dict keys as parameter names; moving weights into and out of it
 * (state dicts, {@code ParamLayout}'s flat vector for the driver, {@code FlatParameters} for the
 * executors, {@code NDArrays} for any block's arrays); the TorchScript modules that do the copies.
 */
package io.sparkddpm.model;
