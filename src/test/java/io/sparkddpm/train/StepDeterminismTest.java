package io.sparkddpm.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.sparkddpm.data.MnistImage;
import io.sparkddpm.data.PixelRange;
import io.sparkddpm.diffusion.DdpmScheduler;
import io.sparkddpm.diffusion.SchedulerConfig;
import io.sparkddpm.model.ParamLayout;
import io.sparkddpm.model.UNet2DModel;
import io.sparkddpm.model.UNetWeights;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A step is a pure function of (weights, plan). The same step computed again, with a garbage
 * collection forced between its forward and backward pass (what happens now and then in a long
 * run), gives bitwise the same loss and gradient. Before the fix, the collection freed scalars that
 * autograd still used (DJL's {@code mul(Number)}/{@code div(Number)}) and the gradient came out
 * wrong or NaN. {@code submit/determinism.sh} runs the check many more times.
 */
class StepDeterminismTest {
  private static final int IMAGES = 16;
  private static final int REPETITIONS = 3;

  @Test
  void garbageCollectionBetweenForwardAndBackwardLeavesTheStepBitwiseIdentical() {
    UNet2DModel shapes = new UNet2DModel(TinyRun.tinyConfig());
    float[] weights = new ParamLayout(shapes).flatten(UNetWeights.torchDefaultInit(shapes, 3));
    Shard shard = randomShard();
    StepPlan plan =
        new StepPlan(
            5,
            0,
            shard.indices(),
            17,
            new DdpmScheduler(SchedulerConfig.ddpm()).alphasCumprod(),
            PixelRange.MINUS_ONE_TO_ONE,
            false);
    // The executor's path: cached model, weights copied in, the step computed.
    LocalGradients source = new LocalGradients(List.of(shard), TinyRun.tinyConfig());
    GradientStep.Partial first = source.compute(plan, weights).get(0);

    LocalGradients collecting =
        new LocalGradients(List.of(shard), TinyRun.tinyConfig(), StepHooks::collect);
    for (int r = 1; r <= REPETITIONS; r++) {
      GradientStep.Partial p = collecting.compute(plan, weights).get(0);
      assertEquals(
          Double.doubleToRawLongBits(first.lossSum()),
          Double.doubleToRawLongBits(p.lossSum()),
          "loss of computation " + r);
      assertArrayEquals(first.gradSum(), p.gradSum(), "gradient of computation " + r);
    }
  }

  /** {@code IMAGES} random 28x28 images, global indices 0.., as one shard. */
  private static Shard randomShard() {
    SplittableRandom random = new SplittableRandom(9);
    List<MnistImage> images = new ArrayList<>();
    for (int i = 0; i < IMAGES; i++) {
      byte[] pixels = new byte[MnistImage.PIXELS];
      for (int p = 0; p < pixels.length; p++) {
        pixels[p] = (byte) random.nextInt(256);
      }
      images.add(new MnistImage(i, i % 10, pixels));
    }
    return Shard.of(images.iterator());
  }
}
