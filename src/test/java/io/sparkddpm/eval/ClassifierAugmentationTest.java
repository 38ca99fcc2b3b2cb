package io.sparkddpm.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The classifier recipe's pieces that need no training: the shift and the cosine decay. */
class ClassifierAugmentationTest {
  private static final int SIDE = 32;

  @Test
  void shiftMovesEveryPixelAndFillsTheUncoveredBorderWithBlack() {
    byte[] image = new byte[SIDE * SIDE];
    for (int i = 0; i < image.length; i++) {
      image[i] = (byte) (1 + i % 250);
    }
    float[] out = new float[SIDE * SIDE + 3];
    ClassifierTraining.shifted(image, 0, 1, SIDE, 2, -1, out, 3); // right 2, up 1
    for (int r = 0; r < SIDE; r++) {
      for (int c = 0; c < SIDE; c++) {
        int sr = r + 1;
        int sc = c - 2;
        float expected =
            sr < SIDE && sc >= 0 ? (image[sr * SIDE + sc] & 0xFF) / 255f : 0f; // moved in: black
        assertEquals(expected, out[3 + r * SIDE + c], "row " + r + " column " + c);
      }
    }
    float[] same = new float[SIDE * SIDE];
    ClassifierTraining.shifted(image, 0, 1, SIDE, 0, 0, same, 0);
    for (int i = 0; i < image.length; i++) {
      assertEquals((image[i] & 0xFF) / 255f, same[i]);
    }
  }

  @Test
  void cosineDecayFallsFromThePeakToZeroAtTheLastStep() {
    var tracker = ClassifierTraining.cosineDecay(1e-3, 100);
    assertEquals(1e-3f, tracker.getNewValue(0));
    assertEquals(5e-4f, tracker.getNewValue(50), 1e-10f);
    assertEquals(0f, tracker.getNewValue(100), 1e-12f);
    assertEquals(0f, tracker.getNewValue(101), 1e-12f); // held at the end, never rising again
  }
}
