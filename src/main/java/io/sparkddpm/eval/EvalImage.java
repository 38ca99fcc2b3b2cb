package io.sparkddpm.eval;

import java.io.Serializable;

/**
 * One image to score: its position in its set (orders the examples shown in the figure), its label
 * when known (-1 otherwise) and its 32x32 8-bit pixels.
 *
 * @param index position in the set
 * @param label the digit for MNIST images, -1 for samples and noise
 * @param pixels 1024 unsigned bytes, row-major, 0 = black
 */
record EvalImage(long index, int label, byte[] pixels) implements Serializable {}
