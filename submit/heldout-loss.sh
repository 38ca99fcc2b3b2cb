#!/usr/bin/env bash
# The held-out training objective of a checkpoint: the mean loss of the training step (its target,
# weighting and t/noise draws) on the first N MNIST test images, with t and noise fixed by --seed,
# so two checkpoints (two precisions, two runs) compare by one number. Runs
# io.sparkddpm.train.HeldOutLoss from the application jar on this machine (no Spark job). Example:
#   submit/heldout-loss.sh --model runs/train/final --images 1000 --seed 0
# --data defaults to the project's data/mnist (submit/fetch-mnist.sh); exit code 2 on bad input.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

usage() {
  echo "Usage: submit/heldout-loss.sh --model DIR [--data D] [--images N] [--seed S] [--precision fp32|bf16] [--batch-size B]"
}
[[ $# -ge 1 ]] || { usage >&2; exit 2; }
args=("$@")
if ! printf '%s\n' "$@" | grep -q -- '^--data'; then
  args+=(--data "$PROJECT_DIR/data/mnist")
fi
build_jar
require_tool java "install a Java 17 JDK"
exec java "${SPARK_JAVA_OPENS[@]}" -Xmx"${DRIVER_MEMORY:-6g}" -Dai.djl.offline=true \
  -Dlog4j2.configurationFile="$PROJECT_DIR/conf/log4j2.properties" \
  -cp "$APP_JAR:$(native_jar):$(cat "$SPARK_CLASSPATH_FILE")" io.sparkddpm.train.HeldOutLoss "${args[@]}"
