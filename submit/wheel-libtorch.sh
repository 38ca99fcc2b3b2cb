#!/usr/bin/env bash
# Runs the engine-level tests with libtorch taken from PyTorch's own wheel instead of DJL's native
# jar: the way GPU executors load it (docker/Dockerfile.gpu, conf/spark-defaults.gpu.conf), with
# the same environment variables and, by default, the same CUDA flavor of DJL's JNI bridge (cu128).
# On a machine without the NVIDIA driver DJL's cpu JNI bridge is used on the wheel's libtorch and
# the tests run on the CPU: that checks the loading path and the numerics of the wheel's libtorch
# (the CUDA wheel's CPU kernels), not the cu128 bridge or the GPU kernels.
#   submit/wheel-libtorch.sh                      # parity, determinism and engine-source tests
#   submit/wheel-libtorch.sh -Dtest=UNetParityTest # other tests (any mvn arguments)
# The wheel comes from PyPI into the cached virtual environment that submit/bench.sh uses for
# "PyTorch (DJL's libtorch)" (about 5 GB, once). Not part of submit/test.sh for that reason.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

if [[ "${1:-}" == -h || "${1:-}" == --help ]]; then
  sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit 0
fi
require_tool python3 "python3 >= 3.10 installs the PyTorch wheel"
require_tool mvn "install Maven 3.8+"

PY="$(torch_venv "$TORCH_DJL" "$DIFFUSERS_DJL" "$NUMPY")"
LIB="$("$PY" -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')"
WHEEL="$("$PY" -c 'import torch; print(torch.__version__)')"
# The cu128 JNI bridge makes DJL load the wheel's libcaffe2_nvrtc.so, which needs the NVIDIA
# driver (libcuda.so.1); without one, the cpu bridge runs on the same wheel's libtorch.
if [[ -z "${PYTORCH_FLAVOR:-}" ]]; then
  if ldconfig -p 2>/dev/null | grep -q 'libcuda\.so\.1'; then
    PYTORCH_FLAVOR=cu128
  else
    PYTORCH_FLAVOR=cpu
    echo "no NVIDIA driver (libcuda.so.1) here: DJL's cpu JNI bridge on the wheel's libtorch" >&2
  fi
fi
export PYTORCH_LIBRARY_PATH="$LIB" PYTORCH_VERSION="$TORCH_DJL" PYTORCH_FLAVOR
echo "libtorch from the wheel torch $WHEEL: PYTORCH_LIBRARY_PATH=$LIB PYTORCH_VERSION=$PYTORCH_VERSION PYTORCH_FLAVOR=$PYTORCH_FLAVOR" >&2

ARGS=("$@")
if [[ ${#ARGS[@]} -eq 0 ]]; then
  ARGS=("-Dtest=EngineSourceTest,UNetParityTest,GroupNormPathsTest,WeightOverwriteTest,SamplerParityTest,StepDeterminismTest,RepeatedStepTest,GradientAllReduceTest")
fi
cd "$PROJECT_DIR"
mvn -B test -Dsurefire.failIfNoSpecifiedTests=false "${ARGS[@]}"
