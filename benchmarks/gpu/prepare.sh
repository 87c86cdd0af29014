#!/usr/bin/env bash
# Build the wheels the GPU machine lacks into shared/wheels/ (run where pip can download).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=shared/wheels
mkdir -p "$out"
python3 -m pip wheel --no-deps -q -w "$out" . \
    keras hydra-core omegaconf antlr4-python3-runtime==4.9.3 \
    absl-py namex optree ml-dtypes h5py rich markdown-it-py mdurl pygments \
    scikit-learn joblib threadpoolctl scipy matplotlib contourpy cycler fonttools kiwisolver \
    pyparsing python-dateutil pillow
ls -la "$out"
