#!/usr/bin/env bash
# The job tax, alternated: TrainJob variants against the plain Java loop, each a process of its
# own under thread_cpu.py (CPU seconds of every thread group from step 5 to the end), every other
# round in reverse order. Prints per variant the median step and compute seconds, the per-step
# overhead (step_s - compute_s), and the CPU seconds a step of the compute threads and of every
# other thread. Asserts nothing.
# Usage: submit/bench/job-tax.sh [--rounds N] [--steps N] [--out DIR] VARIANT...
#   plain        Trainer without Spark (LocalTrainBenchmark), -Xmx6g, as bench.sh's plain Java row
#   perstep      TrainJob P=1 on local[*] with Spark's defaults, as bench.sh's row (the driver JVM
#                that submit/spark-submit starts has -Xmx6g, or $DRIVER_MEMORY)
#   persistent   the same with --mode persistent
#   perstep-1g   per-step in a 1g driver JVM, Spark's default spark.driver.memory
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
ROUNDS=2 STEPS=12 OUT="$PROJECT_DIR/target/job-tax"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) ROUNDS="${2:?}"; shift 2 ;;
    --steps) STEPS="${2:?}"; shift 2 ;;
    --out) OUT="${2:?}"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    -*) echo "error: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
[[ $# -gt 0 ]] || { echo "error: name at least one variant (plain perstep persistent perstep-1g)" >&2; exit 2; }
[[ "$STEPS" =~ ^[0-9]+$ && "$STEPS" -ge 6 ]] || { echo "error: --steps must be >= 6" >&2; exit 2; }
build_jar
"$PROJECT_DIR/submit/fetch-mnist.sh" >/dev/null
(cd "$PROJECT_DIR" && mvn -B -q test-compile -Dspotless.check.skip=true &&
  mvn -B -q dependency:build-classpath -Dmdep.includeScope=runtime \
    -Dmdep.outputFile=target/bench-runtime-classpath.txt) >/dev/null || die "test classes failed"
cp="$PROJECT_DIR/target/test-classes:$PROJECT_DIR/target/classes:$(cat "$SPARK_CLASSPATH_FILE"):$(cat "$PROJECT_DIR/target/bench-runtime-classpath.txt")"
data="$PROJECT_DIR/data/mnist"
run() { # variant round
  local v="$1" out="$OUT/$1-r$2" cmd
  rm -rf "$out"
  mkdir -p "$out"
  local job=("$PROJECT_DIR/submit/spark-submit" --master 'local[*]' --conf spark.ui.enabled=false
    --jars "$(native_jar)")
  local args=(--data "$data" --output "$out/run" --max-steps "$STEPS" --partitions 1
    --sample-every-epoch 0 --checkpoint-every 0 --log-every 1)
  case "$v" in
    plain) cmd=(java -Xmx6g -Dai.djl.offline=true -Dai.djl.pytorch.num_threads="$(nproc)" -cp "$cp"
      io.sparkddpm.bench.LocalTrainBenchmark "$data" "$out/run" "$STEPS") ;;
    perstep) cmd=("${job[@]}" --class TrainJob "$APP_JAR" "${args[@]}") ;;
    persistent) cmd=("${job[@]}" --class TrainJob "$APP_JAR" "${args[@]}" --mode persistent) ;;
    perstep-1g) cmd=(env DRIVER_MEMORY=1g "${job[@]}" --class TrainJob "$APP_JAR" "${args[@]}") ;;
    *) die "unknown variant $v" ;;
  esac
  echo "[$(date +%T)] $v, round $2" >&2
  python3 "$PROJECT_DIR/submit/bench/thread_cpu.py" "$out/cpu.json" --window "$out/run/metrics.jsonl" 4 \
    -- "${cmd[@]}" >"$out/log" 2>&1 || die "$v failed (log: $out/log)"
}
for r in $(seq 1 "$ROUNDS"); do
  variants=("$@")
  (( r % 2 == 0 )) && mapfile -t variants < <(printf '%s\n' "$@" | tac)
  for v in "${variants[@]}"; do run "$v" "$r"; done
done
python3 - "$OUT" "$@" <<'PY'
import glob, json, statistics as st, sys
out, variants = sys.argv[1], sys.argv[2:]
print("| variant | step s | compute s | overhead s | steps | compute threads CPU s/step | other threads CPU s/step |")
print("|---|---:|---:|---:|---:|---:|---:|")
for v in variants:
    steps, comp, task, other = [], [], [], []
    for d in sorted(glob.glob(f"{out}/{v}-r*")):
        rows = [json.loads(l) for l in open(f"{d}/run/metrics.jsonl")][4:]
        steps += [r["step_s"] for r in rows]
        comp += [r["compute_s"] for r in rows]
        groups = json.load(open(f"{d}/cpu.json"))["groups"]
        top = max(groups.values())  # the compute threads: the task's (or main) and OpenMP's
        task.append(top / len(rows))
        other.append((sum(groups.values()) - top) / len(rows))
    s, c = st.median(steps), st.median(comp)
    print(f"| {v} | {s:.3f} | {c:.3f} | {s - c:.3f} | {len(steps)} | {st.mean(task):.2f} | {st.mean(other):.2f} |")
PY
