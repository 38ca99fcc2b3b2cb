#!/usr/bin/env bash
# A Spark standalone cluster on this machine for trying cluster mode: a master and N workers on
# 127.0.0.1, started from $SPARK_HOME or from the Spark jars Maven resolved.
#   submit/cluster-local.sh start [--workers 2] [--cores 1] [--memory 3g]
#   SPARK_MASTER=spark://127.0.0.1:7077 submit/standalone.sh train ...
#   submit/cluster-local.sh stop
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

STATE="$PROJECT_DIR/target/cluster-local"
WORKERS=2; CORES=1; MEMORY=3g; PORT=7077; UI_PORT=8080

usage() {
  echo "Usage: submit/cluster-local.sh start [--workers N] [--cores C] [--memory M] [--port P] | stop | status"
}
[[ $# -ge 1 ]] || { usage >&2; exit 2; }
[[ "$1" == -h || "$1" == --help ]] && { usage; exit 0; }
CMD="$1"; shift
while [[ $# -gt 0 ]]; do
  case "$1" in
    --workers) WORKERS="${2:?}"; shift 2 ;;
    --cores) CORES="${2:?}"; shift 2 ;;
    --memory) MEMORY="${2:?}"; shift 2 ;;
    --port) PORT="${2:?}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option $1" ;;
  esac
done

# A worker builds its executors' classpath from $SPARK_HOME/jars: without a Spark download, make
# one whose jars/ links the Maven-resolved Spark jars.
spark_home() {
  if [[ -n "${SPARK_HOME:-}" ]]; then echo "$SPARK_HOME"; return; fi
  build_jar
  local home="$STATE/spark-home"
  if [[ ! -d "$home/jars" ]]; then
    mkdir -p "$home/jars"
    tr ':' '\n' <"$SPARK_CLASSPATH_FILE" | while read -r jar; do ln -sf "$jar" "$home/jars/"; done
  fi
  echo "$home"
}

launch() { # launch NAME MAIN ARGS...: a daemon JVM, its pid in $STATE/NAME.pid
  local name="$1" main="$2"; shift 2
  local home; home="$(spark_home)"
  echo "+ $main $*" >&2
  SPARK_HOME="$home" SPARK_SCALA_VERSION=2.13 SPARK_LOCAL_IP=127.0.0.1 \
    nohup java "${SPARK_JAVA_OPENS[@]}" -Xmx1g -cp "$home/jars/*" "$main" "$@" \
      >"$STATE/$name.log" 2>&1 &
  echo $! >"$STATE/$name.pid"
}

case "$CMD" in
  start)
    require_tool java "install a Java 17 JDK"
    mkdir -p "$STATE"
    [[ -f "$STATE/master.pid" ]] && kill -0 "$(cat "$STATE/master.pid")" 2>/dev/null && die "already running (submit/cluster-local.sh stop)"
    launch master org.apache.spark.deploy.master.Master --host 127.0.0.1 --port "$PORT" --webui-port "$UI_PORT"
    for i in $(seq 1 "$WORKERS"); do
      mkdir -p "$STATE/work-$i"
      launch "worker-$i" org.apache.spark.deploy.worker.Worker --host 127.0.0.1 --cores "$CORES" \
        --memory "$MEMORY" --work-dir "$STATE/work-$i" --webui-port 0 "spark://127.0.0.1:$PORT"
    done
    for _ in $(seq 1 60); do
      alive=$(curl -s "http://127.0.0.1:$UI_PORT/json/" | grep -o '"aliveworkers" : [0-9]*' | grep -o '[0-9]*$' || true)
      if [[ "${alive:-0}" == "$WORKERS" ]]; then
        echo "cluster up: master spark://127.0.0.1:$PORT, $WORKERS workers, UI http://127.0.0.1:$UI_PORT"
        echo "  SPARK_MASTER=spark://127.0.0.1:$PORT submit/standalone.sh train --data data/mnist --output runs/r1"
        exit 0
      fi
      sleep 1
    done
    die "workers did not register in 60 s; see $STATE/*.log" ;;
  stop)
    for f in "$STATE"/*.pid; do
      [[ -f "$f" ]] || continue
      kill "$(cat "$f")" 2>/dev/null || true
      rm -f "$f"
    done
    echo "cluster stopped" ;;
  status)
    curl -s "http://127.0.0.1:$UI_PORT/json/" || die "no master answering on port $UI_PORT" ;;
  *) usage >&2; exit 2 ;;
esac
