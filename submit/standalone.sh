#!/usr/bin/env bash
# TrainJob, SampleJob or EvaluateJob on a Spark standalone cluster. Example:
#   SPARK_MASTER=spark://host:7077 submit/standalone.sh train --data hdfs:///mnist --output hdfs:///runs/r1
# GPU cluster: GPU=1 uses conf/spark-defaults.gpu.conf (one GPU per executor and per task).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

usage() {
  echo "Usage: SPARK_MASTER=spark://host:7077 [GPU=1] submit/standalone.sh train|sample|evaluate [job options...]"
}
[[ $# -ge 1 ]] || { usage >&2; exit 2; }
[[ "$1" == -h || "$1" == --help ]] && { usage; exit 0; }
CLASS="$(job_class "$1")"
shift
[[ -n "${SPARK_MASTER:-}" ]] || die "set SPARK_MASTER, e.g. spark://127.0.0.1:7077 (submit/cluster-local.sh start prints it)"
PROPS="$PROJECT_DIR/conf/spark-defaults.cpu.conf"
[[ "${GPU:-0}" == 1 ]] && PROPS="$PROJECT_DIR/conf/spark-defaults.gpu.conf"
build_jar
spark_submit --master "$SPARK_MASTER" --deploy-mode client --properties-file "$PROPS" \
  --jars "$(native_jar)" --class "$CLASS" "$APP_JAR" "$@"
