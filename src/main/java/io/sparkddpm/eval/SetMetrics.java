package io.sparkddpm.eval;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

/**
 * The quality numbers of one image set against the reference set (the test images of --data).
 *
 * @param count images in the set
 * @param fid Fréchet distance between the set's and the reference's penultimate features
 * @param meanConfidence mean over images of the classifier's max softmax probability
 * @param confidentFraction fraction of images whose max softmax probability exceeds {@value
 *     FeatureStats#CONFIDENT}
 * @param blankFraction fraction of images whose brightest pixel is below the blank level
 * @param histogram images per predicted class
 * @param entropyBits entropy of the predicted-class distribution in bits (log2 classes, 3.32 for
 *     ten, when uniform, 0 when every image gets the same class)
 * @param accuracy fraction predicted as labelled, NaN for unlabelled sets; for samples of a
 *     conditional model (labelled by the class asked for) the conditional accuracy
 * @param accuracyPerClass {@code accuracy} among the images labelled with each class (NaN where
 *     none is)
 */
public record SetMetrics(
    long count,
    double fid,
    double meanConfidence,
    double confidentFraction,
    double blankFraction,
    long[] histogram,
    double entropyBits,
    double accuracy,
    double[] accuracyPerClass) {

  /** The metrics of {@code set} against {@code reference}. */
  static SetMetrics of(FeatureStats set, FeatureStats reference) {
    double fid =
        FrechetDistance.between(
            set.mean(), set.covariance(), reference.mean(), reference.covariance());
    return new SetMetrics(
        set.count,
        fid,
        set.confidenceSum / set.count,
        set.confident / (double) set.count,
        set.blank / (double) set.count,
        set.histogram.clone(),
        entropyBits(set.histogram),
        set.labelled == 0 ? Double.NaN : set.correct / (double) set.labelled,
        perClass(set));
  }

  private static double[] perClass(FeatureStats set) {
    double[] out = new double[set.classes];
    for (int c = 0; c < out.length; c++) {
      long n = set.labelledPerClass[c];
      out[c] = n == 0 ? Double.NaN : set.correctPerClass[c] / (double) n;
    }
    return out;
  }

  /** Shannon entropy of the distribution given by {@code counts}, in bits. */
  static double entropyBits(long[] counts) {
    long total = 0;
    for (long c : counts) {
      total += c;
    }
    double h = 0;
    for (long c : counts) {
      if (c > 0) {
        double p = c / (double) total;
        h -= p * Math.log(p) / Math.log(2);
      }
    }
    return h;
  }

  /** As a JSON object, with {@code description} saying what the set is. */
  JsonObject toJson(String description) {
    JsonObject o = new JsonObject();
    o.addProperty("description", description);
    o.addProperty("count", count);
    o.addProperty("fid", fid);
    o.addProperty("mean_confidence", meanConfidence);
    o.addProperty("confident_fraction", confidentFraction);
    o.addProperty("blank_fraction", blankFraction);
    JsonArray h = new JsonArray();
    for (long c : histogram) {
      h.add(c);
    }
    o.add("class_histogram", h);
    o.addProperty("class_entropy_bits", entropyBits);
    if (!Double.isNaN(accuracy)) {
      o.addProperty("classifier_accuracy", accuracy);
    }
    return o;
  }
}
