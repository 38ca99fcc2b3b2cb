package io.sparkddpm.eval;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Sufficient statistics of a set of images under the classifier, computed per Spark partition and
 * summed on the driver: the count, the sum and Gram matrix of the features (mean and covariance
 * follow), confidence sums, class counts, and the first few images of each predicted class.
 */
final class FeatureStats implements Serializable {
  private static final long serialVersionUID = 1L;

  /** A prediction counts as confident above this max-softmax probability. */
  static final double CONFIDENT = 0.9;

  final int dim;
  final int classes;
  final int blankLevel;
  final int examplesPerClass;
  long count;
  final double[] sum; // (dim)
  final double[] gram; // (dim, dim), sum of f f^T
  double confidenceSum;
  long confident;
  long blank;
  long labelled;
  long correct;
  final long[] histogram; // (classes)
  final long[] labelledPerClass; // (classes)
  final long[] correctPerClass; // (classes)

  /** Per predicted class, its lowest-index images (index -> pixels). */
  final List<TreeMap<Long, byte[]>> examples;

  FeatureStats(int dim, int classes, int blankLevel, int examplesPerClass) {
    this.dim = dim;
    this.classes = classes;
    this.blankLevel = blankLevel;
    this.examplesPerClass = examplesPerClass;
    sum = new double[dim];
    gram = new double[dim * dim];
    histogram = new long[classes];
    labelledPerClass = new long[classes];
    correctPerClass = new long[classes];
    examples = new ArrayList<>();
    for (int c = 0; c < classes; c++) {
      examples.add(new TreeMap<>());
    }
  }

  /** Adds one image's prediction. */
  void add(EvalImage image, float[] probs, int probOffset, float[] features, int featOffset) {
    count++;
    for (int i = 0; i < dim; i++) {
      double fi = features[featOffset + i];
      sum[i] += fi;
      if (fi != 0) { // ReLU features are often exactly 0: skip their zero row
        int row = i * dim;
        for (int j = 0; j < dim; j++) {
          gram[row + j] += fi * features[featOffset + j];
        }
      }
    }
    int predicted = argmax(probs, probOffset, classes);
    double p = probs[probOffset + predicted];
    confidenceSum += p;
    if (p > CONFIDENT) {
      confident++;
    }
    histogram[predicted]++;
    if (maxPixel(image.pixels()) < blankLevel) {
      blank++;
    }
    if (image.label() >= 0) {
      labelled++;
      labelledPerClass[image.label()]++;
      if (predicted == image.label()) {
        correct++;
        correctPerClass[image.label()]++;
      }
    }
    keep(examples.get(predicted), image.index(), image.pixels());
  }

  /** Adds {@code other}'s counts into this one (the driver's reduction, in partition order). */
  FeatureStats merge(FeatureStats other) {
    if (other.dim != dim || other.classes != classes) {
      throw new IllegalArgumentException("statistics of different classifiers cannot be merged");
    }
    count += other.count;
    for (int i = 0; i < sum.length; i++) {
      sum[i] += other.sum[i];
    }
    for (int i = 0; i < gram.length; i++) {
      gram[i] += other.gram[i];
    }
    confidenceSum += other.confidenceSum;
    confident += other.confident;
    blank += other.blank;
    labelled += other.labelled;
    correct += other.correct;
    for (int c = 0; c < classes; c++) {
      histogram[c] += other.histogram[c];
      labelledPerClass[c] += other.labelledPerClass[c];
      correctPerClass[c] += other.correctPerClass[c];
      for (Map.Entry<Long, byte[]> e : other.examples.get(c).entrySet()) {
        keep(examples.get(c), e.getKey(), e.getValue());
      }
    }
    return this;
  }

  /** The feature mean, (dim). */
  double[] mean() {
    double[] mu = new double[dim];
    for (int i = 0; i < dim; i++) {
      mu[i] = sum[i] / count;
    }
    return mu;
  }

  /** The unbiased feature covariance, (dim, dim) row-major: (G - n mu mu^T) / (n - 1). */
  double[][] covariance() {
    double[] mu = mean();
    double[][] cov = new double[dim][dim];
    for (int i = 0; i < dim; i++) {
      for (int j = 0; j < dim; j++) {
        cov[i][j] = (gram[i * dim + j] - count * mu[i] * mu[j]) / (count - 1);
      }
    }
    return cov;
  }

  private void keep(TreeMap<Long, byte[]> kept, long index, byte[] pixels) {
    kept.put(index, pixels);
    if (kept.size() > examplesPerClass) {
      kept.pollLastEntry();
    }
  }

  static int argmax(float[] values, int offset, int length) {
    int best = 0;
    for (int i = 1; i < length; i++) {
      if (values[offset + i] > values[offset + best]) {
        best = i;
      }
    }
    return best;
  }

  static int maxPixel(byte[] pixels) {
    int max = 0;
    for (byte b : pixels) {
      max = Math.max(max, b & 0xFF);
    }
    return max;
  }
}
