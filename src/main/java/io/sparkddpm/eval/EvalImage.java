package io.sparkddpm.eval;

import java.io.Serializable;

/**
 * One image to score: its position in its set (orders the examples shown in the figure), its label
 * when known (-1 otherwise) and its 8-bit pixels in the classifier's channels and size.
 *
 * @param index position in the set
 * @param label the class for data set images and samples of a conditional model, -1 otherwise
 * @param pixels (C, S, S) unsigned bytes, row-major planes, 0 = black
 */
record EvalImage(long index, int label, byte[] pixels) implements Serializable {}
