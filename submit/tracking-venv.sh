#!/usr/bin/env bash
# Prints the bin/ folder of a cached virtual environment holding a pinned MLflow (tracking server
# and its Python client) and TensorBoard (its event reader), made once from PyPI. The tracking
# tests start their server from it, and so can a person trying --mlflow-uri:
#   "$(submit/tracking-venv.sh)/mlflow" server --host 127.0.0.1 --port 5000
set -euo pipefail
MLFLOW_VERSION=3.17.2
TENSORBOARD_VERSION=2.21.0

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  echo "Usage: submit/tracking-venv.sh   (needs python3 >= 3.10; prints the venv's bin folder)"
  exit 0
fi
command -v python3 >/dev/null || { echo "error: python3 is required" >&2; exit 1; }
VENV="${SPARK_DDPM_CACHE:-$HOME/.cache/spark-ddpm}/tracking-mlflow-$MLFLOW_VERSION"
PINS="mlflow==$MLFLOW_VERSION tensorboard==$TENSORBOARD_VERSION"
# One writer at a time: two test JVMs (or a test and a person) may ask at once.
mkdir -p "$(dirname "$VENV")"
exec 9>"$VENV.lock"
flock 9
if [[ "$(cat "$VENV/.complete" 2>/dev/null)" != "$PINS" ]]; then
  echo "installing $PINS into $VENV (once)" >&2
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  # shellcheck disable=SC2086
  "$VENV/bin/pip" install -q $PINS >&2
  echo "$PINS" >"$VENV/.complete"
fi
echo "$VENV/bin"
