package io.sparkddpm.eval;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import java.time.Instant;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * metrics.json: the samples' metrics beside the floor's and the ceiling's, the reference, the
 * classifier used, what each number means, and the run's provenance (options, application, time).
 */
final class MetricsJson {
  private MetricsJson() {}

  /** The report of one evaluation. */
  static String of(
      JavaSparkContext sc,
      EvaluateConfig cfg,
      ImageSets.Source source,
      LabelledSet data,
      EvaluateJob.Result r,
      FeatureStats reference,
      Classifier classifier) {
    JsonObject o = new JsonObject();
    JsonObject samples = r.samples().toJson("the samples");
    samples.addProperty("path", cfg.samples());
    samples.addProperty("format", source.kind());
    if (!Double.isNaN(r.samples().accuracy())) {
      // Labelled by the class they were asked for: the classifier's agreement is the model's.
      samples.remove("classifier_accuracy");
      samples.addProperty("conditional_accuracy", r.samples().accuracy());
      com.google.gson.JsonObject perClass = new com.google.gson.JsonObject();
      double[] acc = r.samples().accuracyPerClass();
      for (int c = 0; c < acc.length; c++) {
        if (!Double.isNaN(acc[c])) {
          perClass.addProperty(Integer.toString(c), acc[c]);
        }
      }
      samples.add("conditional_accuracy_per_class", perClass);
    }
    o.add("samples", samples);
    o.add(
        "floor",
        r.floor().toJson("the first " + r.floor().count() + " of the " + data.describe(false)));
    o.add(
        "ceiling",
        r.ceiling().toJson(r.ceiling().count() + " images of uniform noise (pixels 0..255)"));
    JsonObject ref = new JsonObject();
    ref.addProperty(
        "description", "the " + data.describe(true) + ", resized as TrainJob resizes them");
    ref.addProperty("count", reference.count);
    ref.addProperty("classifier_accuracy", reference.correct / (double) reference.labelled);
    o.add("reference", ref);
    JsonObject c = new JsonObject();
    c.addProperty("path", cfg.classifierPath());
    c.addProperty("trained_by_this_run", r.classifierTrained());
    c.addProperty("test_accuracy", classifier.testAccuracy());
    c.addProperty("feature_dim", classifier.config().featureDim());
    c.addProperty("classes", classifier.config().numClasses());
    c.addProperty("in_channels", classifier.config().inChannels());
    c.addProperty("sample_size", classifier.config().sampleSize());
    c.addProperty("precision", cfg.precision().toString()); // of the scoring forwards
    classifier.trainedOn().ifPresent(d -> c.addProperty("trained_on", d.path()));
    o.add("classifier", c);
    JsonObject d = new JsonObject();
    d.addProperty(
        "fid",
        "Frechet distance between Gaussians fitted to the classifier's"
            + " penultimate (fc2, ReLU) features of the set and of the reference");
    d.addProperty("confidence_threshold", FeatureStats.CONFIDENT);
    d.addProperty("blank_level", cfg.blankLevel());
    d.addProperty("blank", "brightest pixel (0..255) below blank_level");
    int k = classifier.config().numClasses();
    d.addProperty(
        "class_entropy",
        String.format(
            java.util.Locale.ROOT,
            "bits; log2(%d) = %.2f for a uniform histogram",
            k,
            Math.log(k) / Math.log(2)));
    o.add("definitions", d);
    o.add("options", new GsonBuilder().create().toJsonTree(cfg.values()));
    o.addProperty("application_id", sc.sc().applicationId());
    o.addProperty("master", sc.master());
    o.addProperty("time", Instant.now().toString());
    return new GsonBuilder()
        .setPrettyPrinting()
        .disableHtmlEscaping()
        .serializeSpecialFloatingPointValues()
        .create()
        .toJson(o);
  }
}
