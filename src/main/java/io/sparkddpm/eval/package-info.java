/**
 * EvaluateJob: one number (and a few more) for the quality of a sample set. A LeNet-style
 * classifier trained here with DJL on the labelled data set (MNIST, or any set TrainJob reads) maps
 * images to penultimate-layer features; the Fréchet distance between the features of the samples
 * and of the data set's test images ("FID" in that feature space), the classifier's confidence and
 * the predicted-class histogram describe the set, and the same numbers for real training images
 * (floor) and uniform noise (ceiling) place it.
 */
package io.sparkddpm.eval;
