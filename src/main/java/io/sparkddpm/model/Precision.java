package io.sparkddpm.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dtype the UNet computes in; parameters, gradients, the optimizer and the loss stay float32
 * whatever it is. {@link #BF16} is mixed precision as {@code torch.autocast("cpu",
 * dtype=torch.bfloat16)} with float32 master weights (Micikevicius et al. 2018; Kalamkar et al.
 * 2019): the sample enters the model as bfloat16, convolutions and linears run in bfloat16 on
 * per-forward bfloat16 copies of their float32 weights and biases, and autograd carries each copy's
 * gradient back to its float32 parameter as float32.
 *
 * <p>What stays float32, as on torch's CPU autocast lists where the model's ops allow it: the
 * timestep embedding's sin/cos; GroupNorm's statistics and affine (libtorch's mixed-type {@code
 * group_norm} on the CPU reads bfloat16, accumulates in float32 with the float32 weights, writes
 * bfloat16; CUDA's kernel takes one dtype, so there the block normalises a float32 copy, as CUDA
 * autocast puts {@code group_norm} on its float32 list); the softmax of the explicit attention path
 * (the fused {@code scaled_dot_product_attention} kernel runs on bfloat16 q, k, v and accumulates
 * in float32); the model output, cast to float32 for the loss and the schedulers; the loss itself.
 * Elementwise ops (SiLU, residual sums, upsampling, concatenation) run in the dtype of their
 * bfloat16 inputs, as under autocast.
 *
 * <p>DJL 0.36 cannot name bfloat16 to libtorch, and its {@code toType} copy is invisible to
 * autograd (see {@code casts.py} beside the scripted modules): both casts go through TorchScript
 * modules, and a bfloat16 tensor reports {@link DataType#UNKNOWN} as its DJL type. Nothing may ask
 * DJL for a bfloat16 array by type ({@code zerosLike}, a backward from a bfloat16 loss): the JNI
 * aborts the JVM on that type.
 */
public enum Precision {
  /** Everything in float32 (the default). */
  FP32("fp32"),
  /** bfloat16 compute with float32 master weights. */
  BF16("bf16");

  private static final Logger LOG = LoggerFactory.getLogger(Precision.class);
  private static final AtomicBoolean WARNED = new AtomicBoolean();
  private static final ScriptedModule TO_BF16 = new ScriptedModule("to_bfloat16.pt");
  private static final ScriptedModule TO_FP32 = new ScriptedModule("to_float32.pt");

  private final String spelling;

  Precision(String spelling) {
    this.spelling = spelling;
  }

  /**
   * {@code x} in this precision's compute dtype: float32 for {@link #FP32} (the array itself when
   * it is float32), a bfloat16 copy for {@link #BF16} that autograd records, so a gradient flowing
   * back through it reaches {@code x} in {@code x}'s dtype. The copy is owned by {@code x}'s
   * manager.
   */
  public NDArray cast(NDArray x) {
    if (this == FP32) {
      return toFloat32(x);
    }
    return isBf16(x) ? x : TO_BF16.apply(true, x);
  }

  /**
   * The weight {@code w} in {@code x}'s dtype for an op on {@code x}: {@code w} itself when {@code
   * x} is not bfloat16, else a bfloat16 copy owned by {@code x}'s manager, so it dies with the
   * forward's arrays instead of living as long as the weight.
   */
  public static NDArray weightFor(NDArray w, NDArray x) {
    if (!isBf16(x)) {
      return w;
    }
    NDArray cast = BF16.cast(w);
    cast.attach(x.getManager());
    return cast;
  }

  /**
   * {@code x} as float32 (itself when it is), a cast that autograd records: DJL's {@code toType}
   * copy would cut the graph behind it.
   */
  public static NDArray toFloat32(NDArray x) {
    return x.getDataType() == DataType.FLOAT32 ? x : TO_FP32.apply(true, x);
  }

  /**
   * Whether {@code x} holds bfloat16: DJL 0.36 reports libtorch's bfloat16 as {@link
   * DataType#UNKNOWN}, a later DJL may name it; inside the model no other dtype reads either way.
   */
  static boolean isBf16(NDArray x) {
    DataType d = x.getDataType();
    return d == DataType.BFLOAT16 || d == DataType.UNKNOWN;
  }

  /**
   * Warns once per JVM when bfloat16 is asked for on a CPU where it was measured slower than
   * float32: one without AMX ({@code amx_bf16} absent from {@code /proc/cpuinfo}). Without any
   * bfloat16 instructions libtorch emulates the type (training 3.2x slower than float32 on an Intel
   * Xeon without them); with {@code avx512_bf16} alone its kernels are native but still slower
   * (training 0.52-0.60x of float32 for PyTorch's own autocast and for this project on an Intel
   * Xeon with avx512_bf16 and no AMX, docs/performance.md). Silent on a GPU, for float32, and where
   * {@code /proc/cpuinfo} cannot be read (not Linux).
   */
  public void warnIfSlowOn(Device device) {
    if (this != BF16 || !Device.Type.CPU.equals(device.getDeviceType())) {
      return;
    }
    if (Cpu.SLOW_BF16 != null && WARNED.compareAndSet(false, true)) {
      LOG.warn(
          "--precision bf16: {}; the run is likely slower than --precision fp32", Cpu.SLOW_BF16);
    }
  }

  /**
   * This CPU's {@link #slowBf16Reason}, worked out once, when first needed (every training
   * micro-batch asks).
   */
  private static final class Cpu {
    static final String SLOW_BF16 = slowBf16Reason(read());

    private static String read() {
      try {
        return Files.readString(Path.of("/proc/cpuinfo"));
      } catch (IOException | RuntimeException e) {
        return null; // not Linux: nothing known, nothing to warn about
      }
    }
  }

  /**
   * Why bfloat16 is likely slower than float32 on the CPU {@code cpuinfo} (the text of {@code
   * /proc/cpuinfo}) describes, or null: when it lists {@code amx_bf16}, or is null (unknown).
   */
  static String slowBf16Reason(String cpuinfo) {
    if (cpuinfo == null || hasFlag(cpuinfo, "amx_bf16")) {
      return null;
    }
    return hasFlag(cpuinfo, "avx512_bf16")
        ? "this CPU has avx512_bf16 but no AMX (no amx_bf16 in /proc/cpuinfo)"
        : "this CPU has no bfloat16 instructions (no avx512_bf16 or amx_bf16 in /proc/cpuinfo),"
            + " libtorch emulates bfloat16";
  }

  private static boolean hasFlag(String cpuinfo, String flag) {
    return cpuinfo.matches("(?s).*\\b" + flag + "\\b.*");
  }

  /** The option's spelling. */
  @Override
  public String toString() {
    return spelling;
  }
}
