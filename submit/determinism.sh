#!/usr/bin/env bash
# Computes the same training step (same weights, same inputs) many times per condition and prints,
# per condition, how many computations differed bitwise from the first (gradient entries or loss),
# NaN/Inf counts and seconds per computation (io.sparkddpm.bench.DeterminismHarness). Each
# condition runs in a JVM of its own, because GLIBC_TUNABLES is read when a process starts.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

REPS=50
BATCH=128
MODEL=""
MATRIX=quick
usage() {
  cat <<EOF
Usage: submit/determinism.sh [--reps N] [--batch N] [--model-config tiny|FILE] [--matrix quick|full|stress]
                             [-- extra DeterminismHarness options for every condition]
  --reps N          computations per condition (default $REPS)
  --batch N         images in the step (default $BATCH)
  --model-config    tiny: TinyRun's 16/32-channel UNet; FILE: a diffusers config.json;
                    default: the tutorial UNet
  --matrix          quick: the production step with 2 threads, with a garbage collection forced
                    between forward and backward, GLIBC_TUNABLES hugetlb on and off, fresh threads
                    and weights reloaded (as Spark's tasks), 1 thread, random data;
                    stress: the step body of 19f7d24 (loss divided by DJL's div(Number), inputs
                    in Java direct buffers or copied to libtorch, closed early) with a forced GC;
                    full: both
EOF
}
EXTRA=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --reps) REPS="${2:?}"; shift 2 ;;
    --batch) BATCH="${2:?}"; shift 2 ;;
    --model-config) MODEL="${2:?}"; shift 2 ;;
    --matrix) MATRIX="${2:?}"; shift 2 ;;
    --) shift; EXTRA=("$@"); break ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option $1" ;;
  esac
done
[[ "$MATRIX" =~ ^(quick|full|stress)$ ]] || die "--matrix must be quick, full or stress, got $MATRIX"
require_tool java "install a Java 17 JDK"
require_tool mvn "install Maven 3.8+"
"$PROJECT_DIR/submit/fetch-mnist.sh" >/dev/null
# Always rebuild: a harness run of stale classes measures the wrong code.
(cd "$PROJECT_DIR" && mvn -B -q test-compile -Dspotless.check.skip=true) || die "build failed"
CP_FILE="$(mktemp)"
LOG="$(mktemp)"
trap 'rm -f "$CP_FILE" "$LOG"' EXIT
(cd "$PROJECT_DIR" && mvn -B -q dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile="$CP_FILE") || die "could not resolve the test classpath"
CP="$PROJECT_DIR/target/test-classes:$PROJECT_DIR/target/classes:$(cat "$CP_FILE")"

COMMON=(--reps "$REPS" --batch "$BATCH" --mnist "$PROJECT_DIR/data/mnist")
[[ -n "$MODEL" ]] && COMMON+=(--model-config "$MODEL")

# label | GLIBC_TUNABLES | harness options
QUICK="production t2 hugetlb|glibc.malloc.hugetlb=1|--step production --threads 2
production t2 hugetlb gc-between-forward-and-backward|glibc.malloc.hugetlb=1|--step production --threads 2 --gc
production t2 no-tunables||--step production --threads 2
production t2 hugetlb fresh-thread reload|glibc.malloc.hugetlb=1|--step production --threads 2 --fresh-thread --reload
production t1 hugetlb|glibc.malloc.hugetlb=1|--step production --threads 1
production t2 hugetlb random-data|glibc.malloc.hugetlb=1|--step production --threads 2 --data random"
STRESS="old-loss java-inputs t2 gc|glibc.malloc.hugetlb=1|--step java --threads 2 --gc
old-loss java-inputs t2 closed-early gc|glibc.malloc.hugetlb=1|--step java --threads 2 --close-early inputs --gc
old-loss torch-inputs t2 closed-early gc|glibc.malloc.hugetlb=1|--step torch --threads 2 --close-early inputs --gc"
case "$MATRIX" in
  quick) ROWS="$QUICK" ;;
  stress) ROWS="$STRESS" ;;
  full) ROWS="$QUICK"$'\n'"$STRESS" ;;
esac

echo "DeterminismHarness: model ${MODEL:-tutorial}, batch $BATCH, $REPS computations per condition," \
  "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
while IFS='|' read -r label tunables options; do
  read -ra opts <<<"$options"
  env GLIBC_TUNABLES="$tunables" nice -n 10 java -Xmx4g -Dai.djl.offline=true -cp "$CP" \
    io.sparkddpm.bench.DeterminismHarness "${COMMON[@]}" "${opts[@]}" "${EXTRA[@]}" \
    --label "$label" 2>"$LOG" </dev/null || { tail -20 "$LOG" >&2; die "condition '$label' failed"; }
done <<<"$ROWS"
