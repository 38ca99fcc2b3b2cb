package io.sparkddpm.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkddpm.data.DataImage;
import io.sparkddpm.data.DecodedImage;
import io.sparkddpm.data.ImageSource;
import io.sparkddpm.data.MnistImage;
import io.sparkddpm.data.PillowResize;
import io.sparkddpm.data.PixelRange;
import io.sparkddpm.data.Preprocess;
import io.sparkddpm.io.SafeTensors;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * What a training task feeds the model: a shard's {@link Shard#modelInput} is the old fixed 28 ->
 * 32 path by default, torchvision's center crop on the reference images, and {@link Preprocess}'s
 * output for the image's (run seed, epoch, image) seed under random crops and flips.
 */
class ShardPreprocessTest {

  private static List<MnistImage> mnistLike(int n) {
    SplittableRandom random = new SplittableRandom(3);
    List<MnistImage> images = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      byte[] pixels = new byte[MnistImage.PIXELS];
      for (int p = 0; p < pixels.length; p++) {
        pixels[p] = (byte) random.nextInt(256);
      }
      images.add(new MnistImage(i, i % 10, pixels));
    }
    return images;
  }

  /** RGB images of different non-square sizes, as (C, H, W) data images numbered from 0. */
  private static List<DataImage> rgbOfManySizes() {
    int[][] sizes = {{37, 53}, {20, 30}, {64, 17}, {16, 16}, {101, 40}, {17, 18}};
    SplittableRandom random = new SplittableRandom(11);
    List<DataImage> images = new ArrayList<>();
    for (int i = 0; i < sizes.length; i++) {
      byte[] pixels = new byte[3 * sizes[i][0] * sizes[i][1]];
      for (int p = 0; p < pixels.length; p++) {
        pixels[p] = (byte) random.nextInt(256);
      }
      images.add(new DataImage(i, DataImage.NO_LABEL, 3, sizes[i][1], sizes[i][0], pixels));
    }
    return images;
  }

  private static Shard shardOf(List<DataImage> images, Preprocess p) {
    ImageSource.Target target = new ImageSource.Target(images.get(0).channels(), p.resolution());
    List<DataImage> resized = new ArrayList<>();
    images.forEach(img -> resized.add(ImageSource.resized(img, target)));
    return Shard.ofImages(resized.iterator(), target.channels(), p);
  }

  private static float[] input(Shard shard, int row, long seed, int epoch, PixelRange range) {
    float[] out = new float[shard.imagePixels()];
    shard.modelInput(row, seed, epoch, range, out, 0);
    return out;
  }

  @Test
  void defaultRecipeGivesTheOld28To32ResizeBitForBitInEveryEpoch() {
    TrainConfig cfg = TrainConfig.parse("--data", "d", "--output", "o");
    assertEquals(new Preprocess(32, false, false, cfg.range()), cfg.preprocess(32));
    List<MnistImage> images = mnistLike(20);
    Shard shard = Shard.of(images.iterator());
    assertEquals(Shard.PIXELS, shard.imagePixels());
    for (int i = 0; i < images.size(); i++) {
      byte[] old = PillowResize.resize(images.get(i).pixels());
      float[] expected = new float[old.length];
      for (int p = 0; p < old.length; p++) {
        expected[p] = cfg.range().toModel(old[p] & 0xFF);
      }
      for (int epoch = 0; epoch < 3; epoch++) {
        assertArrayEquals(
            expected, input(shard, shard.rowOf(i), cfg.seed(), epoch, cfg.range()), "image " + i);
      }
    }
  }

  @Test
  void centerCropOfTheReferenceImagesEqualsTorchvisionsOutput() throws Exception {
    SafeTensors.Contents ref;
    try (InputStream in = getClass().getResourceAsStream("/reference/preprocess.safetensors")) {
      ref = SafeTensors.read(in, "reference/preprocess.safetensors");
    }
    for (String name :
        List.of("rgb_37x53_to_32", "rgb_20x30_to_32", "gray_53x37_to_32", "rgb_255x97_to_17")) {
      long[] shape = ref.get(name + ".raw").shape(); // (H, W, C)
      DecodedImage raw =
          new DecodedImage(
              (int) shape[1], (int) shape[0], (int) shape[2], ref.get(name + ".raw").data());
      DataImage source = new DataImage(7, 0, raw.channels(), raw.height(), raw.width(), raw.chw());
      int resolution = ref.get(name + ".resolution").toInts()[0];
      Shard shard =
          shardOf(List.of(source), new Preprocess(resolution, true, false, PixelRange.ZERO_TO_ONE));
      for (int epoch = 0; epoch < 2; epoch++) {
        assertArrayEquals(
            ref.get(name + ".center").toFloats(),
            input(shard, 0, 5, epoch, PixelRange.ZERO_TO_ONE),
            0f,
            name);
        assertArrayEquals(
            ref.get(name + ".center_pm1").toFloats(),
            input(shard, 0, 5, epoch, PixelRange.MINUS_ONE_TO_ONE),
            0f,
            name);
      }
    }
  }

  @Test
  void randomCropsAndFlipsArePreprocessOutputForTheImagesSeed() {
    Preprocess p = new Preprocess(16, false, true, PixelRange.MINUS_ONE_TO_ONE);
    List<DataImage> images = rgbOfManySizes();
    Shard shard = shardOf(images, p);
    long runSeed = 42;
    for (DataImage img : images) {
      int row = shard.rowOf(img.index());
      for (int epoch = 0; epoch < 4; epoch++) {
        float[] expected =
            p.toModel(DecodedImage.ofChw(img), Preprocess.imageSeed(runSeed, epoch, img.index()));
        assertArrayEquals(
            expected, input(shard, row, runSeed, epoch, p.range()), 0f, img + " epoch " + epoch);
      }
    }
  }

  @Test
  void cropsAndFlipsChangeWithTheEpochAndRepeatForTheSameEpoch() {
    Preprocess p = new Preprocess(16, false, true, PixelRange.ZERO_TO_ONE);
    List<DataImage> images = rgbOfManySizes();
    Shard shard = shardOf(images, p);
    Shard rebuilt = shardOf(images, p);
    int changed = 0;
    int pairs = 0;
    for (int row = 0; row < shard.size(); row++) {
      for (int epoch = 0; epoch < 8; epoch++) {
        float[] a = input(shard, row, 9, epoch, p.range());
        // a retried task or a rebuilt shard computes the same input
        assertArrayEquals(a, input(rebuilt, row, 9, epoch, p.range()), "row " + row);
        float[] next = input(shard, row, 9, epoch + 1, p.range());
        changed += Arrays.equals(a, next) ? 0 : 1;
        pairs++;
      }
    }
    // 48 pairs of epochs; each changes unless crop and flip both repeat (the 16x16 image only
    // flips: p = 1/2; the others much less likely to repeat). Expect far more than half.
    assertTrue(changed > pairs / 2, changed + " of " + pairs + " epoch pairs differ");
  }
}
