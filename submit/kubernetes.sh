#!/usr/bin/env bash
# TrainJob, SampleJob or EvaluateJob on Kubernetes, with the executor image of docker/ (which holds the jar
# and libtorch under /opt/spark-ddpm). Example:
#   K8S_MASTER=k8s://https://api.example:6443 IMAGE=registry/spark-ddpm:0.1.0-cuda GPU=1 \
#     submit/kubernetes.sh train --data s3a://bucket/mnist --output s3a://bucket/runs/r1
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

usage() { echo "Usage: K8S_MASTER=k8s://https://host:port IMAGE=image [GPU=1] [NAMESPACE=ns] submit/kubernetes.sh train|sample|evaluate [job options...]"; }
[[ $# -ge 1 ]] || { usage >&2; exit 2; }
[[ "$1" == -h || "$1" == --help ]] && { usage; exit 0; }
CLASS="$(job_class "$1")"
shift
[[ -n "${K8S_MASTER:-}" ]] || die "set K8S_MASTER, e.g. k8s://https://kubernetes.default.svc"
[[ -n "${IMAGE:-}" ]] || die "set IMAGE to an image built from docker/Dockerfile.cpu or docker/Dockerfile.gpu"
PROPS="$PROJECT_DIR/conf/spark-defaults.cpu.conf"
# The CPU image holds libtorch as DJL's native jar; the GPU image holds PyTorch's CUDA wheel, which
# its PYTORCH_LIBRARY_PATH names (docker/Dockerfile.gpu), so no native jar goes on the classpath.
EXTRA=(--jars local:///opt/spark-ddpm/lib/pytorch-native.jar)
if [[ "${GPU:-0}" == 1 ]]; then
  PROPS="$PROJECT_DIR/conf/spark-defaults.gpu.conf"
  EXTRA=(--conf spark.executor.resource.gpu.vendor=nvidia.com)
fi
# The jars are inside the image (local:// paths), so nothing is uploaded.
spark_submit --master "$K8S_MASTER" --deploy-mode cluster --properties-file "$PROPS" "${EXTRA[@]}" \
  --conf spark.kubernetes.namespace="${NAMESPACE:-default}" \
  --conf spark.kubernetes.container.image="$IMAGE" \
  --conf spark.kubernetes.authenticate.driver.serviceAccountName="${SERVICE_ACCOUNT:-spark}" \
  --conf spark.driver.extraJavaOptions=-Dai.djl.offline=true \
  --class "$CLASS" local:///opt/spark-ddpm/spark-ddpm.jar "$@"
