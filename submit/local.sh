#!/usr/bin/env bash
# TrainJob, SampleJob or EvaluateJob on this machine (--master local[*]); everything after the job name is
# passed to the job. Example:
#   submit/local.sh train --data data/mnist --output runs/r1 --epochs 1
#   submit/local.sh sample --model runs/r1/final --output samples/r1 --steps 50
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

usage() {
  echo "Usage: submit/local.sh train|sample|evaluate [job options...]   (job --help lists them)"
}
[[ $# -ge 1 ]] || { usage >&2; exit 2; }
[[ "$1" == -h || "$1" == --help ]] && { usage; exit 0; }
CLASS="$(job_class "$1")"
shift
build_jar
# One task with all cores: spark.task.cpus becomes libtorch's intra-op thread count.
spark_submit --master 'local[*]' --conf spark.task.cpus="$(nproc)" \
  --properties-file "$PROJECT_DIR/conf/spark-defaults.cpu.conf" \
  --jars "$(native_jar)" --class "$CLASS" "$APP_JAR" "$@"
