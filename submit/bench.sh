#!/usr/bin/env bash
# One benchmark, both stacks, one run, on the same cores: the tutorial UNet trained (batch 128,
# Adam 1e-3) and sampled (64 images, DDPM) by
#   - PyTorch eager + diffusers' UNet2DModel (the reference; pinned, installed from PyPI into a
#     cached virtual environment under ~/.cache/spark-ddpm/ that later runs reuse),
#   - the same PyTorch code at the libtorch version DJL uses (engine version vs Java/DJL),
#   - our plain Java step (Trainer without Spark) and our sampler loop,
#   - TrainJob with 1 partition on local[*] and SampleJob with 1 task (in every round, beside the
#     plain Java rows; warm-up steps left out like theirs),
#   - bf16 mixed precision: PyTorch under torch.autocast(bfloat16) beside each PyTorch row, and
#     TrainJob and SampleJob with --precision bf16 beside theirs (--no-bf16 leaves them out).
# Prints one table and writes target/bench/bench.md and target/bench/bench.json.
# With --baseline REF, the Java rows are also run for git revision REF (built in
# target/bench/baseline) right after the current build's, to show a change's before/after.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

TORCH_REFERENCE=2.15.0
DIFFUSERS=0.42.1     # with the reference torch
# TORCH_DJL, DIFFUSERS_DJL and NUMPY (the PyTorch of DJL's libtorch) come from common.sh
STEPS=10
SAMPLE_STEPS=50
BASELINE=""
BASELINE_ARGS=""
SKIP_JOBS=0
SKIP_MODES=0
SKIP_BF16=0
ONLY=""
MODE_STEPS=50
ROUNDS=2
ROUND=1
usage() {
  cat <<USAGE
Usage: submit/bench.sh [--steps N] [--sample-steps N] [--rounds N] [--quick] [--baseline REF] [--no-jobs]
  --steps N         timed training steps per row, after 2 warm-up steps (default $STEPS)
  --sample-steps N  DDPM steps of each sampling run (default $SAMPLE_STEPS); 2 are the warm-up
  --rounds N        run the PyTorch, plain Java, TrainJob, SampleJob (and baseline) rows N times, every other round in
                    reverse order, and pool each row's timed steps (default $ROUNDS): a machine
                    that speeds up or slows down during the run then favours no row
  --quick           --steps 3 --sample-steps 12 --rounds 1 --mode-steps 20: a try in a few minutes
  --baseline REF    also run the plain Java rows for git revision REF (before/after a change)
  --baseline-args A Maven options for the baseline's build, e.g. another engine version:
                    "-Ddjl.version=0.36.0 -Dpytorch.version=2.7.1"
  --no-jobs         skip the TrainJob and SampleJob rows
  --no-bf16         skip the bf16 rows (PyTorch autocast, TrainJob/SampleJob --precision bf16)
  --only ROWS       run only these compared rows, comma-separated, of: ref, djl (the two PyTorch
                    stacks), java (plain Java train and sampler loop), trainjob, samplejob,
                    trainjob-bf16, samplejob-bf16, baseline (plain Java rows of --baseline),
                    baseline-jobs (TrainJob and SampleJob of --baseline): a quick paired before/after
  --no-modes        skip the per-step overhead rows of --mode per-step|persistent
                    (submit/benchmark-modes.sh: tiny UNet, P = 1, 2, local[2] and a 2-worker
                    standalone cluster on 127.0.0.1; --mode-steps N steps each, default $MODE_STEPS,
                    the first 10 left out as warm-up)
Needs Java 17, Maven, python3 >= 3.10 (pip reaches PyPI on the first run).
USAGE
}
while [[ $# -gt 0 ]]; do
  case "$1" in
    --steps) STEPS="${2:?}"; shift 2 ;;
    --sample-steps) SAMPLE_STEPS="${2:?}"; shift 2 ;;
    --rounds) ROUNDS="${2:?}"; shift 2 ;;
    --quick) STEPS=3; SAMPLE_STEPS=12; ROUNDS=1; MODE_STEPS=20; shift ;;
    --baseline) BASELINE="${2:?}"; shift 2 ;;
    --baseline-args) BASELINE_ARGS="${2:?}"; shift 2 ;;
    --no-jobs) SKIP_JOBS=1; shift ;;
    --no-bf16) SKIP_BF16=1; shift ;;
    --only) ONLY=",${2:?},"; shift 2 ;;
    --no-modes) SKIP_MODES=1; shift ;;
    --mode-steps) MODE_STEPS="${2:?}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; echo "error: unknown option $1" >&2; exit 2 ;;
  esac
done
[[ "$STEPS" =~ ^[1-9][0-9]*$ ]] || { echo "error: --steps must be a positive integer, got $STEPS" >&2; exit 2; }
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || { echo "error: --rounds must be a positive integer, got $ROUNDS" >&2; exit 2; }
[[ "$SAMPLE_STEPS" =~ ^[0-9]+$ && "$SAMPLE_STEPS" -ge 3 ]] \
  || { echo "error: --sample-steps must be an integer >= 3, got $SAMPLE_STEPS" >&2; exit 2; }
require_tool python3 "python3 >= 3.10 runs the PyTorch reference"
require_tool mvn "install Maven 3.8+"
require_tool java "install a Java 17 JDK"

CORES="$(nproc)"
BENCH_DIR="$PROJECT_DIR/target/bench"
RAW="$BENCH_DIR/raw"
LOGS="$BENCH_DIR/logs"
rm -rf "$RAW" "$LOGS" "$BENCH_DIR/jobs"
mkdir -p "$RAW" "$LOGS"
HERE="$PROJECT_DIR/submit/bench"
export BENCH_THREADS="$CORES"
ROW=10 # raw files are numbered in run order; the first row of a kind is its reference
log() { echo "[bench $(date -u +%H:%M:%S)] $*" >&2; }

venv() { torch_venv "$1" "$2" "$NUMPY"; }

# measured NAME KIND LOG command...: runs the command with its output in LOG, recording its
# peak RSS; the caller turns the output into a row with row_json.
measured() {
  local log="$LOGS/$1.log"
  shift
  python3 "$HERE/peak_rss.py" "$log.rss" "$@" >"$log" 2>"$log.err" || {
    tail -n 40 "$log.err" "$log" >&2
    die "$* failed (log: $log)"
  }
}

# row_json NAME KIND IMAGES SAMPLE_STEPS MS_JSON_LIST RSS_FILE NOTE: writes one raw row.
row_json() {
  python3 - "$RAW/$ROW.json" "$@" <<'PY'
import json, sys
out, name, kind, images, steps, ms, rss, note = sys.argv[1:]
row = {"name": name, "kind": kind, "images": int(images), "ms": json.loads(ms),
       "peak_rss_mb": int(open(rss).read()), "note": note}
if kind == "sample":
    row["sample_steps"] = int(steps)
json.dump(row, open(out, "w"))
PY
  ROW=$((ROW + 1))
}

json_field() { python3 -c "import json,sys; print(json.dumps(json.load(open(sys.argv[1]))[sys.argv[2]]))" "$1" "$2"; }

# Step times (ms) of steps 3.. of a metrics.jsonl: the first two are the warm-up.
metrics_ms() {
  python3 -c "import json,sys; rows=[json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print(json.dumps([round(r['step_s']*1000,1) for r in rows[2:]]))" "$1"
}

torch_rows() { # torch_rows TORCH DIFFUSERS LABEL
  local py label="$3" diffusers="$2"
  py="$(venv "$1" "$2")"
  local key="torch-$1-r$ROUND"
  log "PyTorch $1: train ($STEPS steps, round $ROUND)"
  measured "$key-train" "$py" "$HERE/torch_bench.py" train "$STEPS"
  row_json "$label train" train 128 0 "$(json_field "$LOGS/$key-train.log" ms)" \
    "$LOGS/$key-train.log.rss" "torch $1, diffusers $diffusers, eager"
  log "PyTorch $1: sample ($SAMPLE_STEPS DDPM steps, round $ROUND)"
  measured "$key-sample" "$py" "$HERE/torch_bench.py" sample "$SAMPLE_STEPS"
  row_json "$label sample" sample 64 "$SAMPLE_STEPS" "$(json_field "$LOGS/$key-sample.log" ms)" \
    "$LOGS/$key-sample.log.rss" "torch $1, diffusers $diffusers, no grad"
  [[ "$SKIP_BF16" == 1 ]] && return
  log "PyTorch $1 autocast bf16: train ($STEPS steps, round $ROUND)"
  measured "$key-train-bf16" "$py" "$HERE/torch_bench.py" train "$STEPS" bf16
  row_json "$label autocast bf16 train" train 128 0 "$(json_field "$LOGS/$key-train-bf16.log" ms)" \
    "$LOGS/$key-train-bf16.log.rss" "torch $1, diffusers $diffusers, eager, torch.autocast(bfloat16), fp32 weights and Adam"
  log "PyTorch $1 autocast bf16: sample ($SAMPLE_STEPS DDPM steps, round $ROUND)"
  measured "$key-sample-bf16" "$py" "$HERE/torch_bench.py" sample "$SAMPLE_STEPS" bf16
  row_json "$label autocast bf16 sample" sample 64 "$SAMPLE_STEPS" "$(json_field "$LOGS/$key-sample-bf16.log" ms)" \
    "$LOGS/$key-sample-bf16.log.rss" "torch $1, diffusers $diffusers, no grad, torch.autocast(bfloat16)"
}

# build DIR [MAVEN OPTIONS]: the jar, test classes and classpath files of the project in DIR.
build() {
  local dir="$1" extra=()
  read -ra extra <<<"${2:-}"
  log "building $dir ${2:-}"
  (cd "$dir" && mvn -B -q package -DskipTests -Dspotless.check.skip=true "${extra[@]}") >"$LOGS/build.log" 2>&1 \
    || { cat "$LOGS/build.log" >&2; die "build of $dir failed"; }
  (cd "$dir" && mvn -B -q dependency:build-classpath -Dmdep.includeScope=runtime "${extra[@]}" \
    -Dmdep.outputFile=target/bench-runtime-classpath.txt) >>"$LOGS/build.log" 2>&1 \
    || { cat "$LOGS/build.log" >&2; die "classpath of $dir failed"; }
}

java_rows() { # java_rows DIR LABEL_SUFFIX
  local dir="$1" suffix="$2" key cp
  key="java${suffix// /-}-r$ROUND"
  cp="$dir/target/test-classes:$dir/target/classes:$(cat "$dir/target/spark-classpath.txt"):$(cat "$dir/target/bench-runtime-classpath.txt")"
  local jvm=(java -Xmx6g -Dai.djl.offline=true -Dai.djl.pytorch.num_threads="$CORES" -cp "$cp")
  log "plain Java train$suffix ($((STEPS + 2)) steps, round $ROUND)"
  rm -rf "$BENCH_DIR/jobs/$key-train"
  measured "$key-train" "${jvm[@]}" io.sparkddpm.bench.LocalTrainBenchmark \
    "$PROJECT_DIR/data/mnist" "$BENCH_DIR/jobs/$key-train" "$((STEPS + 2))"
  row_json "plain Java train$suffix" train 128 0 "$(metrics_ms "$BENCH_DIR/jobs/$key-train/metrics.jsonl")" \
    "$LOGS/$key-train.log.rss" "Trainer without Spark: real MNIST batch, gradient, Adam (step_s of metrics.jsonl)"
  log "our sampler loop$suffix ($SAMPLE_STEPS DDPM steps, round $ROUND)"
  measured "$key-sample" "${jvm[@]}" io.sparkddpm.bench.SamplerBenchmark "$SAMPLE_STEPS" 64
  row_json "Java sampler loop$suffix" sample 64 "$SAMPLE_STEPS" "$(json_field "$LOGS/$key-sample.log" ms)" \
    "$LOGS/$key-sample.log.rss" "Sampler.run in one JVM, DDPM"
}

# Spark's defaults, as a user's spark-submit gets them: no spark.task.cpus (1), so the job must
# give its tasks the cores itself (ExecutorModels.taskThreads).
JOB_CONF=(--master 'local[*]' --conf spark.ui.enabled=false)

# TrainJob runs in the rounds, next to the plain Java row it is compared with (within 5%).
# trainjob_row [fp32|bf16] [DIR LABEL_SUFFIX]: the --precision of the run; the project in DIR
# (default this one; the baseline's for its rows).
# job_names KIND NAME WHAT PRECISION SUFFIX: sets the caller's key (file names) and label (table row)
# of one job row, e.g. trainjob-base-r2-bf16 and "TrainJob P=1 --precision bf16 train (baseline)".
job_names() {
  key="$1${5:+-base}-r$ROUND" label="$2 $3$5"
  [[ "$4" == fp32 ]] || { key="$key-$4"; label="$2 --precision $4 $3$5"; }
}

trainjob_row() {
  local precision="${1:-fp32}" dir="${2:-$PROJECT_DIR}" suffix="${3:-}" key label
  job_names trainjob "TrainJob P=1" train "$precision" "$suffix"
  local out="$BENCH_DIR/jobs/$key" jars=("$dir"/target/lib/pytorch-native-*.jar)
  log "TrainJob$suffix P=1 --precision $precision on local[*] ($((STEPS + 2)) steps, round $ROUND)"
  rm -rf "$out"
  measured "$key" "$dir/submit/spark-submit" "${JOB_CONF[@]}" --jars "${jars[0]}" \
    --class TrainJob "$dir/target/spark-ddpm.jar" --data "$PROJECT_DIR/data/mnist" --output "$out" \
    --max-steps "$((STEPS + 2))" --partitions 1 --sample-every-epoch 0 --checkpoint-every 0 --log-every 1 \
    --precision "$precision"
  row_json "$label" train 128 0 "$(metrics_ms "$out/metrics.jsonl")" \
    "$LOGS/$key.log.rss" "local[*], Spark's default spark.task.cpus; step_s of metrics.jsonl; RSS of the one JVM (driver + executor)"
  [[ "$precision" != fp32 || -n "$suffix" ]] || LAST_MODEL="$out/final"
}

# SampleJob runs in the rounds too, after TrainJob (whose model it samples) in odd rounds and on the
# previous round's model in even ones; its per-step times are the task's own Sampler clock, the
# one the Java sampler loop reports, without the two warm-up steps.
# samplejob_row [fp32|bf16]: the --precision of the run (the fp32 run's model either way).
samplejob_row() {
  local precision="${1:-fp32}" dir="${2:-$PROJECT_DIR}" suffix="${3:-}" key label
  job_names samplejob SampleJob sample "$precision" "$suffix"
  local jars=("$dir"/target/lib/pytorch-native-*.jar)
  log "SampleJob$suffix --precision $precision ($SAMPLE_STEPS DDPM steps, 64 images, 1 task, round $ROUND)"
  rm -rf "$BENCH_DIR/jobs/$key"
  measured "$key" "$dir/submit/spark-submit" "${JOB_CONF[@]}" --jars "${jars[0]}" \
    --class SampleJob "$dir/target/spark-ddpm.jar" --model "$LAST_MODEL" --output "$BENCH_DIR/jobs/$key" \
    --steps "$SAMPLE_STEPS" --num-images 64 --batch-size 64 --partitions 1 --precision "$precision"
  local ms
  ms="$(sed -n 's/.*step ms of partition 0: \(\[.*\]\).*/\1/p' "$LOGS/$key.log" "$LOGS/$key.log.err" | head -1)"
  [[ -n "$ms" ]] || die "SampleJob logged no step times (log: $LOGS/$key.log.err)"
  row_json "$label" sample 64 "$SAMPLE_STEPS" \
    "$(python3 -c "import json,sys; print(json.dumps(json.loads(sys.argv[1])[2:]))" "$ms")" \
    "$LOGS/$key.log.rss" "local[*], Spark's default spark.task.cpus, 1 task; Sampler's step times logged by the task"
}

"$PROJECT_DIR/submit/fetch-mnist.sh" >/dev/null
build "$PROJECT_DIR"
if [[ -n "$BASELINE" ]]; then
  base_dir="$BENCH_DIR/baseline"
  rm -rf "$base_dir"
  mkdir -p "$base_dir"
  (cd "$PROJECT_DIR" && git archive "$BASELINE") | tar -x -C "$base_dir" || die "cannot export $BASELINE"
  build "$base_dir" "$BASELINE_ARGS"
fi

ref_py="$(venv "$TORCH_REFERENCE" "$DIFFUSERS")"
log "FLOP count and the matmul ceiling"
"$ref_py" "$HERE/torch_bench.py" flops >"$RAW/flops.json"
"$ref_py" "$HERE/torch_bench.py" matmul >"$RAW/matmul.json"
# The rows compared with each other, in rounds: odd rounds in this order, even rounds reversed.
compared=(ref djl java)
[[ "$SKIP_JOBS" == 1 ]] || compared+=(trainjob samplejob)
[[ "$SKIP_JOBS" == 1 || "$SKIP_BF16" == 1 ]] || compared+=(trainjob-bf16 samplejob-bf16)
[[ -z "$BASELINE" ]] || compared+=(baseline)
[[ -z "$BASELINE" || "$SKIP_JOBS" == 1 ]] || compared+=(baseline-jobs)
if [[ -n "$ONLY" ]]; then
  for c in ${ONLY//,/ }; do
    [[ " ${compared[*]} " == *" $c "* ]] || die "--only: no row $c here (rows: ${compared[*]})"
  done
  kept=()
  for c in "${compared[@]}"; do [[ "$ONLY" != *",$c,"* ]] || kept+=("$c"); done
  compared=("${kept[@]}")
fi
compared_row() {
  case "$1" in
    ref) torch_rows "$TORCH_REFERENCE" "$DIFFUSERS" "PyTorch" ;;
    djl) torch_rows "$TORCH_DJL" "$DIFFUSERS_DJL" "PyTorch $TORCH_DJL (DJL's libtorch)" ;;
    java) java_rows "$PROJECT_DIR" "" ;;
    trainjob) trainjob_row ;;
    samplejob) samplejob_row ;;
    trainjob-bf16) trainjob_row bf16 ;;
    samplejob-bf16) samplejob_row bf16 ;;
    baseline) java_rows "$base_dir" " (baseline $BASELINE${BASELINE_ARGS:+ $BASELINE_ARGS})" ;;
    baseline-jobs)
      trainjob_row fp32 "$base_dir" " (baseline $BASELINE)"
      samplejob_row fp32 "$base_dir" " (baseline $BASELINE)" ;;
  esac
}
for ((ROUND = 1; ROUND <= ROUNDS; ROUND++)); do
  if ((ROUND % 2 == 1)); then
    for c in "${compared[@]}"; do compared_row "$c"; done
  else
    for ((i = ${#compared[@]} - 1; i >= 0; i--)); do compared_row "${compared[i]}"; done
  fi
done
"$ref_py" "$HERE/torch_bench.py" matmul >"$RAW/matmul-end.json"
if [[ "$SKIP_MODES" == 0 ]]; then
  log "per-step overhead of both training modes ($MODE_STEPS steps each, tiny UNet)"
  "$PROJECT_DIR/submit/benchmark-modes.sh" --steps "$MODE_STEPS" --tsv >"$RAW/modes.tsv" \
    2>"$LOGS/modes.log" || { tail -n 40 "$LOGS/modes.log" >&2; die "benchmark-modes.sh failed"; }
fi
python3 "$HERE/report.py" "$RAW" "$BENCH_DIR"
echo "(written to target/bench/bench.md and target/bench/bench.json; logs in target/bench/logs)"
