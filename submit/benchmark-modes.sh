#!/usr/bin/env bash
# Per-step overhead of TrainJob's two modes: --mode per-step (one Spark job a step) and
# --mode persistent (one barrier stage; tasks exchange with the driver over a socket), with P = 1
# and 2 partitions, on local[2] and on a standalone cluster of 2 workers (1 core each) that this
# script starts on 127.0.0.1 on free ports and stops again. A tiny UNet (block_out_channels
# 16/32/32, 8 norm groups) keeps a step's computation at tens of milliseconds, so the overhead
# (step_s - compute_s of metrics.jsonl: the driver's wall time of a step minus its slowest task's
# own computation) is visible. Medians (and means) over steps W+1..N: step 1 builds models and
# launches, and the next steps are slower while the JVMs compile the step's code (at P = 2 on this
# machine steps 2-5 took 14-30 ms of overhead, steps 30-60 about 8); --warmup W (default 10) leaves
# them out, so the figures are those of a long run.
# Every task runs one libtorch thread (spark.task.cpus=1): on a busy machine, two OpenMP threads
# that spin-wait for each other measure the machine's contention rather than the mode's cost.
#   submit/benchmark-modes.sh [--steps N] [--warmup W] [--batch-size B] [--where local|standalone|both] [--tsv]
# --tsv prints only machine-readable rows (for submit/bench.sh):
#   where<TAB>mode<TAB>P<TAB>step_ms<TAB>compute_ms<TAB>overhead_ms<TAB>serial_overhead_ms<TAB>images_per_s<TAB>update_ms<TAB>overhead_mean_ms<TAB>steps
# serial_overhead_ms = step_s - tasks_s (all tasks' computation added up): the figure to read on
# local[2] with P = 2, where the two tasks share one JVM and take turns on its model.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

STEPS=50; WARMUP=10; BATCH=2; WHERE=both; TSV=0
usage() { echo "Usage: submit/benchmark-modes.sh [--steps N (default $STEPS)] [--warmup W (default $WARMUP)] [--batch-size B (default $BATCH)] [--where local|standalone|both] [--tsv]"; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --steps) STEPS="${2:?}"; shift 2 ;;
    --warmup) WARMUP="${2:?}"; shift 2 ;;
    --batch-size) BATCH="${2:?}"; shift 2 ;;
    --where) WHERE="${2:?}"; shift 2 ;;
    --tsv) TSV=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option $1" ;;
  esac
done
case "$WHERE" in local|standalone|both) ;; *) usage >&2; die "--where: local, standalone or both" ;; esac
[[ "$WARMUP" =~ ^[1-9][0-9]*$ && "$STEPS" =~ ^[0-9]+$ ]] || die "--steps and --warmup: whole numbers, --warmup at least 1"
(( STEPS >= WARMUP + 3 )) || die "--steps $STEPS: at least --warmup + 3 ($((WARMUP + 3))) so that 3 steps are measured"
require_tool python3 "used to pick free ports and summarise metrics.jsonl"
require_tool mvn "install Maven 3.8+"
"$PROJECT_DIR/submit/fetch-mnist.sh" >/dev/null
# Always rebuild: a benchmark of a stale jar measures the wrong code.
(cd "$PROJECT_DIR" && mvn -B -q package -DskipTests -Dspotless.check.skip=true) || die "build failed"
OUT="$(mktemp -d)"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$OUT"
}
trap cleanup EXIT

cat >"$OUT/tiny-unet.json" <<'JSON'
{"_class_name": "UNet2DModel", "sample_size": 32, "in_channels": 1, "out_channels": 1,
 "layers_per_block": 2, "block_out_channels": [16, 32, 32],
 "down_block_types": ["DownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D"],
 "up_block_types": ["AttnUpBlock2D", "AttnUpBlock2D", "UpBlock2D"],
 "norm_num_groups": 8, "norm_eps": 1e-05, "attention_head_dim": 8, "act_fn": "silu",
 "flip_sin_to_cos": true, "freq_shift": 0}
JSON

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# run NAME MASTER P MODE [spark-submit options...]: one TrainJob, its metrics in $OUT/NAME.
run() {
  local name="$1" master="$2" p="$3" mode="$4"; shift 4
  DRIVER_MEMORY=2g spark_submit --master "$master" --conf spark.ui.enabled=false \
    --conf spark.driver.host=127.0.0.1 "$@" --jars "$(native_jar)" --class TrainJob "$APP_JAR" \
    --data "$PROJECT_DIR/data/mnist" --output "$OUT/$name" --model-config "$OUT/tiny-unet.json" \
    --limit 4096 --batch-size "$BATCH" --max-steps "$STEPS" --partitions "$p" --mode "$mode" \
    --sample-every-epoch 0 --checkpoint-every 0 --log-every 10 >"$OUT/$name.log" 2>&1 \
    || { tail -50 "$OUT/$name.log" >&2; die "$name failed"; }
}

ROWS=()
record() { # record WHERE MODE P NAME
  local row
  row=$(python3 - "$OUT/$4/metrics.jsonl" "$WARMUP" <<'PY'
import json, statistics, sys
warmup = int(sys.argv[2])
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()][warmup:]
m = lambda k: statistics.median(r[k] for r in rows)
over = [r["step_s"] - r["compute_s"] for r in rows]
serial = statistics.median(r["step_s"] - r["tasks_s"] for r in rows)
print(f"{m('step_s')*1000:.0f}\t{m('compute_s')*1000:.0f}\t{statistics.median(over)*1000:.1f}\t"
      f"{serial*1000:.1f}\t{m('images_per_s'):.1f}\t{m('update_s')*1000:.1f}\t"
      f"{statistics.mean(over)*1000:.1f}\t{rows[0]['step']}..{rows[-1]['step']}")
PY
)
  ROWS+=("$1"$'\t'"$2"$'\t'"$3"$'\t'"$row")
}

if [[ "$WHERE" != standalone ]]; then
  for p in 1 2; do
    for mode in per-step persistent; do
      run "local-$mode-p$p" 'local[2]' "$p" "$mode" --conf spark.task.cpus=1
      record 'local[2]' "$mode" "$p" "local-$mode-p$p"
    done
  done
fi

if [[ "$WHERE" != local ]]; then
  require_tool java "install a Java 17 JDK"
  HOME_DIR="$OUT/spark-home"; mkdir -p "$HOME_DIR/jars"
  tr ':' '\n' <"$SPARK_CLASSPATH_FILE" | while read -r jar; do ln -sf "$jar" "$HOME_DIR/jars/"; done
  PORT=$(free_port); UI=$(free_port)
  daemon() { # daemon LOG MAIN ARGS...
    local log="$1" main="$2"; shift 2
    SPARK_HOME="$HOME_DIR" SPARK_SCALA_VERSION=2.13 SPARK_LOCAL_IP=127.0.0.1 \
      java "${SPARK_JAVA_OPENS[@]}" -Xmx512m -cp "$HOME_DIR/jars/*" "$main" "$@" >"$OUT/$log" 2>&1 &
    PIDS+=($!)
  }
  daemon master.log org.apache.spark.deploy.master.Master --host 127.0.0.1 --port "$PORT" --webui-port "$UI"
  for w in 1 2; do
    mkdir -p "$OUT/work-$w"
    daemon "worker-$w.log" org.apache.spark.deploy.worker.Worker --host 127.0.0.1 --cores 1 \
      --memory 2g --work-dir "$OUT/work-$w" --webui-port "$(free_port)" "spark://127.0.0.1:$PORT"
  done
  for _ in $(seq 1 120); do
    [[ "$(grep -c 'Registering worker' "$OUT/master.log" 2>/dev/null || true)" == 2 ]] && break
    sleep 1
  done
  [[ "$(grep -c 'Registering worker' "$OUT/master.log" || true)" == 2 ]] || die "workers did not register; see $OUT/master.log"
  for p in 1 2; do
    for mode in per-step persistent; do
      run "cluster-$mode-p$p" "spark://127.0.0.1:$PORT" "$p" "$mode" \
        --conf spark.executor.memory=1g --conf spark.executor.cores=1 --conf spark.cores.max=2 \
        --conf spark.task.cpus=1 --conf spark.executor.extraJavaOptions=-Dai.djl.offline=true
      record 'standalone-2x1' "$mode" "$p" "cluster-$mode-p$p"
    done
  done
fi

if [[ "$TSV" == 1 ]]; then
  printf 'where\tmode\tP\tstep_ms\tcompute_ms\toverhead_ms\tserial_overhead_ms\timages_per_s\tupdate_ms\toverhead_mean_ms\tsteps\n'
  printf '%s\n' "${ROWS[@]}"
  exit 0
fi
echo "tiny UNet (16/32/32, 8 groups), batch $BATCH, $STEPS steps per run, medians of steps $((WARMUP + 1))..$STEPS, $(nproc) cores"
echo "overhead = step_s - compute_s: the driver's wall time of a step minus the slowest task's computation"
echo "serial = step_s - tasks_s: the overhead when the tasks take turns (P = 2 in one local JVM)"
echo "update = update_s: the driver's sum of partials, Adam and EMA (part of the overhead); mean = the overhead's mean"
printf '%-16s %-11s %2s %9s %11s %12s %10s %9s %9s %9s\n' where mode P step_ms compute_ms overhead_ms serial_ms images/s update_ms mean_ms
for r in "${ROWS[@]}"; do
  IFS=$'\t' read -r w m p s c o x i u a _ <<<"$r"
  printf '%-16s %-11s %2s %9s %11s %12s %10s %9s %9s %9s\n' "$w" "$m" "$p" "$s" "$c" "$o" "$x" "$i" "$u" "$a"
done
