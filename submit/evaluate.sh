#!/usr/bin/env bash
# EvaluateJob on this machine (--master local[*]): scores a sample set (SampleJob's output folder,
# its Parquet, or a folder of 32x32 PNGs) against the MNIST test images and writes metrics.json and
# evaluation.png. --data defaults to the project's data/mnist (submit/fetch-mnist.sh). Example:
#   submit/evaluate.sh --samples samples/r1 --output eval/r1 --classifier runs/classifier
# The first run trains the classifier (a few minutes) and saves it under --classifier; later runs
# reuse it. Everything is passed to EvaluateJob; `submit/evaluate.sh --help` lists its options.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

usage() {
  echo "Usage: submit/evaluate.sh --samples <dir> --output <dir> [--data data/mnist] [EvaluateJob options...]"
}
[[ $# -ge 1 ]] || { usage >&2; exit 2; }
if [[ "$1" == -h || "$1" == --help ]]; then
  usage
  build_jar
  spark_submit --master 'local[1]' --jars "$(native_jar)" --class EvaluateJob "$APP_JAR" --help
  exit 0
fi
args=("$@")
if ! printf '%s\n' "$@" | grep -q -- '^--data'; then
  [[ -d "$PROJECT_DIR/data/mnist" ]] || die "no --data and no $PROJECT_DIR/data/mnist; run submit/fetch-mnist.sh"
  args+=(--data "$PROJECT_DIR/data/mnist")
fi
build_jar
# One task with all cores: spark.task.cpus becomes libtorch's intra-op thread count.
spark_submit --master 'local[*]' --conf spark.task.cpus="$(nproc)" \
  --properties-file "$PROJECT_DIR/conf/spark-defaults.cpu.conf" \
  --jars "$(native_jar)" --class EvaluateJob "$APP_JAR" "${args[@]}"
