package io.sparkddpm.data;

/**
 * How an 8-bit pixel maps to the float the model sees, and back.
 *
 * <p>{@link #MINUS_ONE_TO_ONE} is the DDPM convention (Ho et al. 2020, section 3.3: data scaled to
 * [-1, 1], the range the schedulers clip {@code x0} to). It is computed as {@code (v / 255f) * 2f -
 * 1f}, which is bit-identical to torchvision's {@code ToTensor()} followed by {@code
 * Normalize([0.5], [0.5])}: multiplying by 2 is exact in float32, so {@code fl(2x - 1) = 2 fl(x -
 * 0.5)}. ({@code v / 127.5f - 1f} would differ from torchvision by one ulp on some values.)
 *
 * <p>{@link #ZERO_TO_ONE} is {@code ToTensor()} alone ({@code v / 255f}), as in the tutorial.
 */
public enum PixelRange {
  /** [-1, 1]: {@code (v / 255f) * 2f - 1f}. The default. */
  MINUS_ONE_TO_ONE {
    @Override
    public float toModel(int u8) {
      return (checked(u8) / 255f) * 2f - 1f;
    }

    @Override
    public int toU8(float model) {
      // diffusers' numpy_to_pil: (x / 2 + 0.5).clamp(0, 1) * 255, rounded.
      return round255(model / 2f + 0.5f);
    }
  },

  /** [0, 1]: {@code v / 255f}, torchvision's {@code ToTensor()}. */
  ZERO_TO_ONE {
    @Override
    public float toModel(int u8) {
      return checked(u8) / 255f;
    }

    @Override
    public int toU8(float model) {
      return round255(model);
    }
  };

  /** The model-space value of the 8-bit pixel {@code u8} (0..255). */
  public abstract float toModel(int u8);

  /**
   * The 8-bit pixel for a model-space value: the inverse of {@link #toModel}, rounded half up and
   * clamped to 0..255 (model outputs overshoot the range). NaN maps to 0.
   */
  public abstract int toU8(float model);

  private static int checked(int u8) {
    if (u8 < 0 || u8 > 255) {
      throw new IllegalArgumentException("pixel value must be 0..255, got " + u8);
    }
    return u8;
  }

  private static int round255(float unit) {
    if (Float.isNaN(unit)) {
      return 0;
    }
    float clamped = Math.max(0f, Math.min(1f, unit));
    return Math.round(clamped * 255f);
  }
}
