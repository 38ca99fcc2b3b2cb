# Shared by the submit/ scripts; source it, don't run it.
# Finds the project, builds the application jar when needed, and runs spark-submit: the one in
# $SPARK_HOME when set, otherwise Spark's own launcher class (org.apache.spark.deploy.SparkSubmit)
# from the Spark jars Maven resolved. Either way the command line is the standard one.

PROJECT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
APP_JAR="$PROJECT_DIR/target/spark-ddpm.jar" # pom.xml's finalName
# libtorch for CPU, shipped beside the jar with --jars (GPU executors take PyTorch's CUDA wheel
# instead: conf/spark-defaults.gpu.conf).
NATIVE_JAR_GLOB="$PROJECT_DIR/target/lib/pytorch-native-*.jar"
SPARK_CLASSPATH_FILE="$PROJECT_DIR/target/spark-classpath.txt"

# libtorch's large activations are first-touched ~3x faster on transparent huge pages.
export GLIBC_TUNABLES="${GLIBC_TUNABLES:-glibc.malloc.hugetlb=1}"

die() { echo "error: $*" >&2; exit 1; }

require_tool() {
  command -v "$1" >/dev/null 2>&1 || die "$1 is required but not on PATH ($2)"
}

# Builds the jar (and the native/classpath files beside it) unless they are there and newer than
# the main sources and the pom.
build_jar() {
  if [[ ! -f "$APP_JAR" || ! -f "$SPARK_CLASSPATH_FILE" ]] || ! compgen -G "$NATIVE_JAR_GLOB" >/dev/null ||
    [[ -n "$(find "$PROJECT_DIR/src/main" "$PROJECT_DIR/pom.xml" -newer "$APP_JAR" -print -quit)" ]]; then
    require_tool mvn "install Maven 3.8+"
    echo "+ mvn -B -q package -DskipTests" >&2
    (cd "$PROJECT_DIR" && mvn -B -q package -DskipTests) || die "build failed"
  fi
}

native_jar() {
  local jars=($NATIVE_JAR_GLOB)
  [[ -f "${jars[0]}" ]] || die "no libtorch jar in target/lib; run mvn package"
  echo "${jars[0]}"
}

# Java 17 module openings that bin/spark-submit would add (Spark's JavaModuleOptions): the
# project's one list, a java argument file.
SPARK_JAVA_OPENS=("@$PROJECT_DIR/conf/java-opens.args")

# spark_submit ARGS...: prints the command, then runs it. $SPARK_ARGS (word-split) adds
# spark-submit options, e.g. SPARK_ARGS="--conf spark.executor.cores=1 --conf spark.task.cpus=1".
spark_submit() {
  local extra=()
  read -ra extra <<<"${SPARK_ARGS:-}"
  set -- "${extra[@]}" "$@"
  echo "+ spark-submit $*" >&2
  if [[ -n "${SPARK_HOME:-}" ]]; then
    "$SPARK_HOME/bin/spark-submit" "$@"
  else
    require_tool java "install a Java 17 JDK"
    [[ -f "$SPARK_CLASSPATH_FILE" ]] || die "$SPARK_CLASSPATH_FILE missing; run mvn package"
    java "${SPARK_JAVA_OPENS[@]}" -Xmx"${DRIVER_MEMORY:-6g}" \
      -Dlog4j2.configurationFile="$PROJECT_DIR/conf/log4j2.properties" -Dai.djl.offline=true \
      -cp "$(cat "$SPARK_CLASSPATH_FILE")" org.apache.spark.deploy.SparkSubmit "$@"
  fi
}

# job_class NAME: the entry class of a job name given to the submit scripts.
job_class() {
  case "$1" in
    train) echo TrainJob ;;
    evaluate) echo EvaluateJob ;;
    sample) echo SampleJob ;;
    *) die "unknown job $1 (train, sample or evaluate)" ;;
  esac
}

# PyTorch at the libtorch version of pom.xml's pytorch-native-cpu (the engine DJL runs), with the
# diffusers that runs the reference's UNet2DModel on it.
TORCH_DJL="$(sed -n 's:.*<pytorch.version>\(.*\)</pytorch.version>.*:\1:p' "$PROJECT_DIR/pom.xml")"
DIFFUSERS_DJL=0.42.1
NUMPY=2.4.6

# torch_venv TORCH DIFFUSERS NUMPY: the python of a cached virtual environment holding these
# pinned versions from PyPI (made once; torch's wheel with its CUDA packages is about 5 GB).
# Used by submit/bench.sh and submit/wheel-libtorch.sh, which share the one for DJL's libtorch.
torch_venv() {
  local dir="${SPARK_DDPM_CACHE:-$HOME/.cache/spark-ddpm}/bench-torch-$1"
  local pins=("torch==$1" "diffusers==$2" "numpy==$3")
  if [[ "$(cat "$dir/.complete" 2>/dev/null)" != "${pins[*]}" ]]; then
    echo "installing ${pins[*]} into $dir (once; torch from PyPI is large)" >&2
    rm -rf "$dir"
    python3 -m venv "$dir"
    "$dir/bin/pip" install -q "${pins[@]}" >&2
    echo "${pins[*]}" >"$dir/.complete"
  fi
  echo "$dir/bin/python"
}

# reference_venv: torch_venv's python plus the pinned Pillow and torchvision that the preprocessing
# reference (src/test/resources/reference/scripts/preprocess_reference.py) uses. torchvision goes
# in without dependencies so the venv's torch stays the one torch_venv pinned.
reference_venv() {
  local py
  py="$(torch_venv 2.7.1 0.42.1 2.4.6)"
  if ! "$py" -c 'import PIL, torchvision, sys; sys.exit(PIL.__version__ != "13.0.0" or not torchvision.__version__.startswith("0.22.1"))' 2>/dev/null; then
    "${py%/python}/pip" install -q pillow==13.0.0 safetensors==0.8.0 >&2
    "${py%/python}/pip" install -q --no-deps torchvision==0.22.1 >&2
  fi
  echo "$py"
}
