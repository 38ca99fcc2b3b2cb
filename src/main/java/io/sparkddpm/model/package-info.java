/**
 * The noise-prediction network: a config-driven port of diffusers' {@code UNet2DModel} as DJL
 * blocks, with diffusers' state-dict keys as parameter names.
 */
package io.sparkddpm.model;
