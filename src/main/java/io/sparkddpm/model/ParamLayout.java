package io.sparkddpm.model;

import ai.djl.nn.Parameter;
import io.sparkddpm.io.Tensor;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where each named parameter lives in one flat float vector: the form in which the driver keeps
 * weights, gradients and optimizer state, and in which they are broadcast and reduced.
 */
public final class ParamLayout implements Serializable {
  private static final long serialVersionUID = 1L;

  private final List<String> names = new ArrayList<>();
  private final List<long[]> shapes = new ArrayList<>();
  private final int[] offsets;
  private final int size;

  /** The layout of {@code model}'s parameters, in diffusers' state-dict order. */
  public ParamLayout(UNet2DModel model) {
    Map<String, Parameter> params = model.namedParameters();
    offsets = new int[params.size() + 1];
    int i = 0;
    int offset = 0;
    for (Map.Entry<String, Parameter> e : params.entrySet()) {
      names.add(e.getKey());
      long[] shape = e.getValue().getShape().getShape();
      shapes.add(shape);
      offsets[i++] = offset;
      offset = Math.addExact(offset, Math.toIntExact(Tensor.numel(shape)));
    }
    offsets[i] = offset;
    size = offset;
  }

  /** Total number of floats. */
  public int size() {
    return size;
  }

  /** The state dict as one vector; every name must be present with its shape. */
  public float[] flatten(Map<String, Tensor> stateDict) {
    float[] flat = new float[size];
    for (int i = 0; i < names.size(); i++) {
      Tensor t = stateDict.get(names.get(i));
      if (t == null) {
        throw new IllegalArgumentException("state dict lacks \"" + names.get(i) + "\"");
      }
      float[] v = t.toFloats();
      if (v.length != offsets[i + 1] - offsets[i]) {
        throw new IllegalArgumentException("\"" + names.get(i) + "\" has " + v.length + " values");
      }
      System.arraycopy(v, 0, flat, offsets[i], v.length);
    }
    return flat;
  }

  /** The vector as a state dict. */
  public Map<String, Tensor> unflatten(float[] flat) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (int i = 0; i < names.size(); i++) {
      float[] v = new float[offsets[i + 1] - offsets[i]];
      System.arraycopy(flat, offsets[i], v, 0, v.length);
      out.put(names.get(i), Tensor.ofFloats(shapes.get(i), v));
    }
    return out;
  }

  /** Copies the vector into the model's parameter arrays (same layout). */
  public void copyInto(UNet2DModel model, float[] flat) {
    UNetWeights.overwriteAll(model, flat);
  }

  /** Offset of parameter {@code i} (in order) in the vector. */
  int offset(int i) {
    return offsets[i];
  }

  /** Names of the parameters holding non-finite values in {@code flat}, at most {@code max}. */
  public List<String> nonFinite(float[] flat, int max) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < names.size() && out.size() < max; i++) {
      for (int k = offsets[i]; k < offsets[i + 1]; k++) {
        if (!Float.isFinite(flat[k])) {
          out.add(names.get(i));
          break;
        }
      }
    }
    return out;
  }

  /** The name of the parameter holding entry {@code index} of the vector. */
  public String nameAt(int index) {
    int i = java.util.Arrays.binarySearch(offsets, index);
    return names.get(i >= 0 ? i : -i - 2);
  }

  /** Number of parameters (tensors). */
  int count() {
    return names.size();
  }
}
