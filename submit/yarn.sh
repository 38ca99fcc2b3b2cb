#!/usr/bin/env bash
# TrainJob, SampleJob or EvaluateJob on YARN (cluster deploy mode; HADOOP_CONF_DIR must point at the cluster).
#   submit/yarn.sh train --data hdfs:///data/mnist --output hdfs:///runs/r1
# GPU=1 adds YARN's GPU resource (yarn.io/gpu) through conf/spark-defaults.gpu.conf.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

usage() { echo "Usage: [GPU=1] submit/yarn.sh train|sample|evaluate [job options...]   (needs SPARK_HOME, HADOOP_CONF_DIR)"; }
[[ $# -ge 1 ]] || { usage >&2; exit 2; }
[[ "$1" == -h || "$1" == --help ]] && { usage; exit 0; }
CLASS="$(job_class "$1")"
shift
[[ -n "${HADOOP_CONF_DIR:-}${YARN_CONF_DIR:-}" ]] || die "set HADOOP_CONF_DIR (or YARN_CONF_DIR) to the cluster's configuration"
PROPS="$PROJECT_DIR/conf/spark-defaults.cpu.conf"
EXTRA=()
if [[ "${GPU:-0}" == 1 ]]; then
  PROPS="$PROJECT_DIR/conf/spark-defaults.gpu.conf"
  EXTRA=(--conf spark.yarn.executor.resource.yarn.io/gpu.amount=1)
fi
build_jar
spark_submit --master yarn --deploy-mode cluster --properties-file "$PROPS" "${EXTRA[@]}" \
  --files "$PROJECT_DIR/conf/log4j2.properties" \
  --conf spark.driver.extraJavaOptions="-Dai.djl.offline=true -Dlog4j2.configurationFile=log4j2.properties" \
  --jars "$(native_jar)" --class "$CLASS" "$APP_JAR" "$@"
