#!/usr/bin/env bash
# bf16 against fp32 in quality: three TrainJob runs of the tutorial recipe with the same number of
# steps (fp32 seed 0, fp32 seed 1, bf16 seed 0), the held-out loss of each final checkpoint
# (submit/heldout-loss.sh: the first 1000 MNIST test images, t and noise fixed by seed 0, computed
# in fp32 so only the weights differ), then SampleJob and EvaluateJob (one classifier for all
# three) on each. The bf16 run's held-out loss is compared with the fp32 run of the same seed, and
# its FID with the spread between the two fp32 seeds. Prints one table and writes
# target/bf16-quality/quality.md. Asserts nothing.
#   submit/bench/bf16-quality.sh [--steps N] [--images M] [--sample-steps K]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"

STEPS=469     # one epoch of batch 128
IMAGES=1000
SAMPLE_STEPS=50
while [[ $# -gt 0 ]]; do
  case "$1" in
    --steps) STEPS="${2:?}"; shift 2 ;;
    --images) IMAGES="${2:?}"; shift 2 ;;
    --sample-steps) SAMPLE_STEPS="${2:?}"; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "error: unknown option $1" >&2; exit 2 ;;
  esac
done
OUT="$PROJECT_DIR/target/bf16-quality"
mkdir -p "$OUT"
"$PROJECT_DIR/submit/fetch-mnist.sh" >/dev/null
build_jar
CONF=(--master 'local[*]' --conf spark.ui.enabled=false --jars "$(native_jar)")
log() { echo "[bf16-quality $(date -u +%H:%M:%S)] $*" >&2; }

runs=("fp32 0" "fp32 1" "bf16 0")
for r in "${runs[@]}"; do
  read -r precision seed <<<"$r"
  name="$precision-seed$seed"
  if [[ ! -f "$OUT/$name/train/final/trainer_state.json" ]]; then
    log "TrainJob $name ($STEPS steps)"
    rm -rf "$OUT/$name" "$OUT/$name".*
    spark_submit "${CONF[@]}" --class TrainJob "$APP_JAR" --data "$PROJECT_DIR/data/mnist" \
      --output "$OUT/$name/train" --max-steps "$STEPS" --seed "$seed" --precision "$precision" \
      --sample-every-epoch 0 --checkpoint-every 0 >"$OUT/$name.train.log" 2>&1
  fi
  # each later step is skipped when its output is there: a rerun only redoes what is missing
  if ! grep -q "held-out loss" "$OUT/$name.heldout.txt" 2>/dev/null; then
    log "held-out loss of $name"
    "$PROJECT_DIR/submit/heldout-loss.sh" --model "$OUT/$name/train/final" --images 1000 --seed 0 \
      >"$OUT/$name.heldout.txt" 2>"$OUT/$name.heldout.log"
  fi
  if [[ ! -f "$OUT/$name/eval/metrics.json" ]]; then
    log "SampleJob $name ($IMAGES images, DDPM $SAMPLE_STEPS)"
    spark_submit "${CONF[@]}" --class SampleJob "$APP_JAR" --model "$OUT/$name/train/final" \
      --output "$OUT/$name/samples" --num-images "$IMAGES" --steps "$SAMPLE_STEPS" --seed 0 \
      --precision "$precision" --overwrite >"$OUT/$name.sample.log" 2>&1
    log "EvaluateJob $name"
    spark_submit "${CONF[@]}" --class EvaluateJob "$APP_JAR" --samples "$OUT/$name/samples" \
      --data "$PROJECT_DIR/data/mnist" --classifier "$OUT/classifier" --output "$OUT/$name/eval" \
      --overwrite >"$OUT/$name.eval.log" 2>&1
  fi
done

python3 - "$OUT" "$STEPS" "$IMAGES" "$SAMPLE_STEPS" <<'PY'
import json, re, sys
out, steps, images, sample_steps = sys.argv[1:]
rows = {}
for name in ("fp32-seed0", "fp32-seed1", "bf16-seed0"):
    loss = float(re.search(r"held-out loss ([0-9.]+)", open(f"{out}/{name}.heldout.txt").read()).group(1))
    fid = json.load(open(f"{out}/{name}/eval/metrics.json"))["samples"]["fid"]
    train = [json.loads(l) for l in open(f"{out}/{name}/train/metrics.jsonl") if l.strip()]
    step_s = sorted(r["step_s"] for r in train[2:])
    rows[name] = (loss, fid, step_s[len(step_s) // 2] if step_s else float("nan"))
f0, f1, b0 = rows["fp32-seed0"], rows["fp32-seed1"], rows["bf16-seed0"]
loss_diff = (b0[0] - f0[0]) / f0[0]
spread = abs(f0[1] - f1[1])
fid_diff = abs(b0[1] - f0[1])
lines = [f"TrainJob {steps} steps of batch 128 each; held-out loss on 1000 MNIST test images (seed 0, fp32);",
         f"FID of {images} samples (DDPM {sample_steps}) against the MNIST test set, one classifier.", "",
         "| run | held-out loss | FID | median step s |", "|---|---:|---:|---:|"]
for name, (loss, fid, s) in rows.items():
    lines.append(f"| {name} | {loss:.6f} | {fid:.2f} | {s:.2f} |")
lines += ["",
          f"held-out loss, bf16 against fp32 (seed 0): {loss_diff:+.2%} (target: within 2%: "
          f"{'met' if abs(loss_diff) <= 0.02 else 'not met'})",
          f"FID, bf16 against fp32 (seed 0): {fid_diff:.2f}; spread of the two fp32 seeds: {spread:.2f} "
          f"(target: below the spread: {'met' if fid_diff < spread else 'not met'})"]
text = "\n".join(lines)
print(text)
open(f"{out}/quality.md", "w").write(text + "\n")
PY
