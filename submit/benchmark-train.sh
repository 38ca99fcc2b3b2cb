#!/usr/bin/env bash
# Prints TrainJob's throughput (images/s) on this machine with P = 1 and P = 2 partitions on
# local[2], against the same steps computed in one plain Java process without Spark, and Spark's
# overhead as a percentage. The tutorial UNet at batch 128; the first step (warm-up) is excluded.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

STEPS=6
usage() { echo "Usage: submit/benchmark-train.sh [--steps N]   (default $STEPS optimizer steps per run)"; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --steps) STEPS="${2:?}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option $1" ;;
  esac
done
require_tool python3 "used to summarise metrics.jsonl"
require_tool mvn "install Maven 3.8+"
"$PROJECT_DIR/submit/fetch-mnist.sh" >/dev/null
# Always rebuild: a benchmark of a stale jar measures the wrong code.
(cd "$PROJECT_DIR" && mvn -B -q package -DskipTests -Dspotless.check.skip=true) || die "build failed"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT

# Medians over steps 2..N of a run's metrics.jsonl: images/s, step wall time, and the tasks' own
# computation added up (tasks_s); their difference is what the step costs beyond computing.
medians() {
  python3 - "$1" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()][1:]
m = lambda k: statistics.median(r[k] for r in rows)
print(f"{m('images_per_s'):.1f} {m('step_s'):.3f} {m('tasks_s'):.3f}")
PY
}

for p in 1 2; do
  # P tasks share the 2 cores: each gets 2/P of them for libtorch's threads.
  spark_submit --master 'local[2]' --conf spark.task.cpus=$((2 / p)) --conf spark.ui.enabled=false \
    --jars "$(native_jar)" --class TrainJob "$APP_JAR" --data "$PROJECT_DIR/data/mnist" \
    --output "$OUT/spark-p$p" --max-steps "$STEPS" --partitions "$p" --sample-every-epoch 0 \
    --checkpoint-every 0 --log-every 1 >"$OUT/spark-p$p.log" 2>&1 || { cat "$OUT/spark-p$p.log"; die "P=$p run failed"; }
done

TEST_CP="$PROJECT_DIR/target/test-classes:$PROJECT_DIR/target/classes:$(cat "$SPARK_CLASSPATH_FILE"):$(cd "$PROJECT_DIR" && mvn -B -q dependency:build-classpath -Dmdep.includeScope=runtime -Dmdep.outputFile=/dev/stdout)"
java -Xmx6g -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=2 -cp "$TEST_CP" \
  io.sparkddpm.bench.LocalTrainBenchmark "$PROJECT_DIR/data/mnist" "$OUT/plain" "$STEPS" >"$OUT/plain.log" 2>&1 \
  || { cat "$OUT/plain.log"; die "plain Java run failed"; }

read -r plain plain_step plain_compute <<<"$(medians "$OUT/plain/metrics.jsonl")"
echo "tutorial UNet, batch 128, $STEPS steps per run (medians of steps 2..$STEPS), $(nproc) cores"
echo "step: wall time of an optimizer step on the driver; compute: the tasks' forward + backward"
echo "added up (tasks in one JVM take turns on its one model); rest = step - compute: scheduling,"
echo "broadcast, collect, the sum and Adam"
row() { printf '%-26s %6s images/s  step %6ss  compute %6ss  rest %5s ms%s\n' "$@"; }
rest_ms() { python3 -c "print(round(($1 - $2) * 1000))"; }
row "plain Java (no Spark)" "$plain" "$plain_step" "$plain_compute" "$(rest_ms "$plain_step" "$plain_compute")" ""
for p in 1 2; do
  read -r r step compute <<<"$(medians "$OUT/spark-p$p/metrics.jsonl")"
  extra=$(python3 -c "print(f'{(($step - $compute) - ($plain_step - $plain_compute)) / $step * 100:+.1f}')")
  row "TrainJob local[2], P=$p" "$r" "$step" "$compute" "$(rest_ms "$step" "$compute")" \
    "  Spark's overhead: ${extra}% of the step"
done
