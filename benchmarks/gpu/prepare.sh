#!/usr/bin/env bash
# Build the wheels the borrowed GPU machine lacks into DIR (run here, where pip can
# download). That machine (Python 3.12, x86_64, no network) has PyTorch, JAX, numpy,
# h5py, ml-dtypes, rich, PyYAML, absl-py, scipy, scikit-learn, matplotlib and Pillow;
# it lacks Keras, Hydra and seqlab. A timing sweep needs nothing else: scipy,
# scikit-learn, matplotlib and Pillow are imported only where a run uses them. The
# total must stay under the 64 MiB a device call carries (about 15 MB here).
#
#   bash benchmarks/gpu/prepare.sh .whl      # then carry .whl (git-ignored via .git/info/exclude)
set -euo pipefail
dir=${1:?usage: prepare.sh DIR}
cd "$(dirname "$0")/../.."
mkdir -p "$dir"
rm -f "$dir"/*.whl
# Pure-Python wheels built here: seqlab itself, and antlr4 4.9.3 (Hydra 1.3 pins it;
# PyPI has it as a source archive only).
python3 -m pip wheel -q --no-deps -w "$dir" . "antlr4-python3-runtime==4.9.3"
# Binary wheels for the GPU machine's Python, whatever this machine runs.
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
    --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 -d "$dir" \
    "keras==3.15.1" "namex" "optree" "hydra-core==1.3.8" "omegaconf==2.3.0" "plotly"
size=$(du -cb "$dir"/*.whl | tail -1 | cut -f1)
ls -la "$dir"
echo "total: $((size / 1024 / 1024)) MiB in $(ls "$dir"/*.whl | wc -l) wheels"
if [ "$size" -gt $((60 * 1024 * 1024)) ]; then
    echo "too large for one device call (64 MiB with the working tree)" >&2
    exit 1
fi
