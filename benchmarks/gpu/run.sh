#!/usr/bin/env bash
# On the GPU machine: install the carried wheels (no index), check the GPU, run the sweeps.
set -euo pipefail
cd "$(dirname "$0")/../.."
wheels=shared/wheels
python3 -m pip install -q --no-index --find-links "$wheels" --no-deps "$wheels"/*.whl
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
out=${OUT:-gpu_results}
mkdir -p "$out"
stamp=$(date +%Y-%m-%d)
sweeps=()
run() {  # run NAME ARGS...: one sweep into $out/NAME
    local name=$1; shift
    python3 -m seqlab -m "$@" device=gpu "hydra.sweep.dir=$out/$name" || true
    sweeps+=("$out/$name")
}
run cudnn_vs_loop_torch +experiment=cudnn_vs_loop backend=torch
run cudnn_vs_loop_jax +experiment=cudnn_vs_loop backend=jax trainer.jit_compile=true
run rnn_benchmarks_torch +experiment=rnn_benchmarks_lstm backend=torch
run rnn_benchmarks_jax +experiment=rnn_benchmarks_lstm backend=jax trainer.jit_compile=true
seqlab-report "${sweeps[@]}" --baseline impl=cell_loop --out "$out/summary_$stamp"
python3 -m pytest -q -m gpu tests || true
