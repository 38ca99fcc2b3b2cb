#!/usr/bin/env bash
# Tests the Airflow DAG for real: installs Apache Airflow and the Spark provider (pinned) into a
# virtual environment that later runs reuse, checks the DAG imports without errors, and runs it
# once with `airflow dags test` against local Spark with a tiny configuration.
#   submit/airflow/test-dag.sh OUTPUT_ROOT
set -euo pipefail
PROJECT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
AIRFLOW_VERSION=3.3.2
SPARK_PROVIDER_VERSION=6.3.4
STANDARD_PROVIDER_VERSION=1.21.0

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" || $# -ne 1 ]]; then
  echo "Usage: submit/airflow/test-dag.sh OUTPUT_ROOT   (needs python3 >= 3.10 and the built jar)"
  [[ $# -eq 1 ]] && exit 0 || exit 2
fi
OUT_ROOT="$(mkdir -p "$1" && cd "$1" && pwd)"
command -v python3 >/dev/null || { echo "error: python3 is required" >&2; exit 1; }
[[ -f "$PROJECT_DIR/target/spark-ddpm.jar" ]] || { echo "error: build the jar first (mvn package)" >&2; exit 1; }

VENV="${SPARK_DDPM_CACHE:-$HOME/.cache/spark-ddpm}/airflow-$AIRFLOW_VERSION"
if [[ ! -x "$VENV/bin/airflow" ]]; then
  echo "installing apache-airflow==$AIRFLOW_VERSION into $VENV (once)"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "apache-airflow==$AIRFLOW_VERSION" \
    "apache-airflow-providers-apache-spark==$SPARK_PROVIDER_VERSION" \
    "apache-airflow-providers-standard==$STANDARD_PROVIDER_VERSION"
fi

export AIRFLOW_HOME="$PROJECT_DIR/target/airflow-home"
rm -rf "$AIRFLOW_HOME"
mkdir -p "$AIRFLOW_HOME"
export AIRFLOW__CORE__DAGS_FOLDER="$PROJECT_DIR/submit/airflow"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export PATH="$PROJECT_DIR/submit:$PATH" # submit/spark-submit: Spark's launcher from Maven's jars
# The connection and the Variables the DAG reads, as Airflow reads them from the environment.
export AIRFLOW_CONN_SPARK_DDPM='{"conn_type": "spark", "host": "local[2]", "extra": {"deploy-mode": "client", "spark-binary": "spark-submit"}}'
export AIRFLOW_VAR_DDPM_PROJECT="$PROJECT_DIR"
export AIRFLOW_VAR_DDPM_DATA="$PROJECT_DIR/data/mnist"
export AIRFLOW_VAR_DDPM_OUTPUT="$OUT_ROOT"
export AIRFLOW_VAR_DDPM_RETRIES=0 # a failure fails the test at once
export AIRFLOW_VAR_DDPM_SPARK_CONF='{"spark.ui.enabled": "false"}'
export AIRFLOW_VAR_DDPM_TRAIN_ARGS='["--limit", "64", "--batch-size", "16", "--max-steps", "2", "--sample-every-epoch", "0"]'
# EvaluateJob needs at least 84 samples (the classifier's feature dimension); its classifier is
# trained on a small subset here, so its accuracy bar is lowered to what that reaches.
export AIRFLOW_VAR_DDPM_SAMPLE_ARGS='["--steps", "2", "--num-images", "90", "--batch-size", "45"]'
export AIRFLOW_VAR_DDPM_EVALUATE_ARGS='["--classifier-limit", "2000", "--classifier-epochs", "1", "--min-classifier-accuracy", "0.5", "--reference-limit", "500"]'
# Tracking off (no server here) but the experiment is passed to all three jobs, which must take it.
export AIRFLOW_VAR_DDPM_MLFLOW_EXPERIMENT=dag-test
export AIRFLOW_VAR_DDPM_MAX_FID=1000000 # the gate is on; these samples of a 2-step model pass it

AIRFLOW="$VENV/bin/airflow"
"$AIRFLOW" db migrate >"$AIRFLOW_HOME/db-migrate.log" 2>&1 || { cat "$AIRFLOW_HOME/db-migrate.log"; exit 1; }
# Airflow 3 lists DAGs from its database: parse the folder into it first.
"$AIRFLOW" dags reserialize >"$AIRFLOW_HOME/reserialize.log" 2>&1 || { cat "$AIRFLOW_HOME/reserialize.log"; exit 1; }
errors="$("$AIRFLOW" dags list-import-errors 2>&1)"
echo "$errors"
if ! grep -qi "no data found" <<<"$errors"; then
  echo "error: the DAG has import errors" >&2
  exit 1
fi
"$AIRFLOW" dags list 2>/dev/null | grep -q spark_ddpm || { echo "error: DAG spark_ddpm not found" >&2; exit 1; }

DS=2026-11-26
rm -rf "${OUT_ROOT:?}/$DS"
"$AIRFLOW" dags test spark_ddpm "$DS"
for f in "$OUT_ROOT/$DS/train/final/unet/diffusion_pytorch_model.safetensors" \
         "$OUT_ROOT/$DS/samples/grid.png" "$OUT_ROOT/$DS/samples/parquet" \
         "$OUT_ROOT/$DS/evaluation/metrics.json" "$OUT_ROOT/$DS/evaluation/evaluation.png" \
         "$OUT_ROOT/classifier/model.safetensors"; do
  [[ -e "$f" ]] || { echo "error: the DAG run did not produce $f" >&2; exit 1; }
done
echo "DAG run produced $OUT_ROOT/$DS/train/final, $OUT_ROOT/$DS/samples and $OUT_ROOT/$DS/evaluation"

# The quality gate: the same evaluate task with a limit no sample set meets must fail. Whether
# `tasks test` exits non-zero for a failed task has varied across Airflow versions, so the check is
# EvaluateJob's own verdict in the task's log.
AIRFLOW_VAR_DDPM_MAX_FID=0.000001 "$AIRFLOW" tasks test spark_ddpm evaluate "$DS" >"$AIRFLOW_HOME/gate.log" 2>&1 || true
grep -q "is worse than --max-fid" "$AIRFLOW_HOME/gate.log" || { cat "$AIRFLOW_HOME/gate.log"; echo "error: ddpm_max_fid=0.000001 did not fail the evaluate task on its FID" >&2; exit 1; }
echo "ddpm_max_fid=0.000001 fails the evaluate task: $(grep -o 'FID [0-9.]* is worse than --max-fid [0-9.]*' "$AIRFLOW_HOME/gate.log" | head -1)"
