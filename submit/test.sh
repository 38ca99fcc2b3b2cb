#!/usr/bin/env bash
# The project's test command: fetches MNIST (the training tests use the real files), then runs
# the formatter check, the unit, parity and Spark tests, and the integration tests that start
# Spark's launcher and a standalone cluster on 127.0.0.1.
set -euo pipefail
PROJECT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  echo "Usage: submit/test.sh [extra mvn arguments]   (runs: fetch-mnist.sh; mvn -B verify)"
  exit 0
fi
for tool in java mvn npm; do
  command -v "$tool" >/dev/null || { echo "error: $tool is required" >&2; exit 1; }
done

"$PROJECT_DIR/submit/fetch-mnist.sh"
cd "$PROJECT_DIR"
mvn -B verify "$@"
