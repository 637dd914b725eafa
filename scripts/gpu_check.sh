#!/usr/bin/env bash
# The GPU path measured (issue 11): bench, 50,000-image epochs, runs sharing the GPU, and
# fitting 2,000 random labels; writes docs/benchmark-gpu.md (+ .json) with the card's name.
#
#   bash scripts/gpu_check.sh --prepare        # here: copy the Fashion-MNIST .gz files into
#                                              # data/fashion-mnist/ (git-ignored) to carry
#   bash scripts/gpu_check.sh                  # on the CUDA machine (5-8 minutes on an H100)
#   bash scripts/gpu_check.sh --device cpu --quick --out /tmp/gpu-check.md   # CPU smoke test
#
# Python: $PYTHON, else .venv/bin/python, else python3 (a GPU machine's own torch works:
# the repository is put on PYTHONPATH). Ray is optional: without it the sharing section
# runs the runs as concurrent processes and says so.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_DIR=/usr/share/datasets/fashion-mnist
CARRIED=data/fashion-mnist

if [ "${1:-}" = "--prepare" ]; then
  [ -d "$DEBIAN_DIR" ] || { echo "gpu_check: $DEBIAN_DIR missing (apt-get install dataset-fashion-mnist)" >&2; exit 2; }
  mkdir -p "$CARRIED"
  cp "$DEBIAN_DIR"/*-ubyte.gz "$CARRIED"/
  echo "gpu_check: copied $(ls "$CARRIED" | wc -l) files into $CARRIED (carry it to the GPU machine)"
  exit 0
fi

PY=${PYTHON:-}
if [ -z "$PY" ]; then
  if [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python3; fi
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"

# No Debian package here: stage the carried .gz files where torchvision's FashionMNIST
# looks (<RETHINK_DATA_DIR>/FashionMNIST/raw, un-gzipped).
if [ ! -d "$DEBIAN_DIR" ] && [ -d "$CARRIED" ]; then
  export RETHINK_DATA_DIR=${RETHINK_DATA_DIR:-$PWD/data/rethink}
  raw="$RETHINK_DATA_DIR/FashionMNIST/raw"
  mkdir -p "$raw"
  for gz in "$CARRIED"/*-ubyte.gz; do
    out="$raw/$(basename "$gz" .gz)"
    [ -s "$out" ] || { gzip -dc "$gz" > "$out.part" && mv "$out.part" "$out"; }
  done
fi

exec "$PY" scripts/gpu_check.py "$@"
