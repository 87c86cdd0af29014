#!/usr/bin/env bash
# The GPU measurement, in one call of at most 8 minutes (installs included), on a machine
# with PyTorch and/or JAX with CUDA and no network. Budget, measured parts in brackets:
#   install the carried wheels                        ~10 s
#   check the GPU (nvidia-smi, torch, jax)            ~20 s
#   cudnn_vs_loop, torch: lstm,gru x layer,cell_loop  4 jobs x 2 epochs x 60 steps
#   cudnn_vs_loop, jax (jit on both sides): the same  (compilation in epoch 1)
#   rnn_benchmarks_lstm shape, torch and jax          2 x 2 jobs x 2 epochs x 20 steps
#   pytest -m gpu                                      ~30 s
# Every sweep has jit_compile pinned the same on both sides. Single seeds: the GPU
# machine is lent for 15 minutes in all; the step-time spread is in each record.
#
#   bash benchmarks/gpu/run.sh .whl          # writes its files under $OUT
set -uo pipefail
wheels=${1:?usage: run.sh WHEEL_DIR}
cd "$(dirname "$0")/../.."
out=${OUT:-gpu_out}
runs=/tmp/seqlab_gpu_runs
mkdir -p "$out" "$runs"
log="$out/run.log"
exec > >(tee "$log") 2>&1
start=$(date +%s)
stamp() { echo "[$(( $(date +%s) - start )) s] $*"; }
stamp "installing $(ls "$wheels"/*.whl | wc -l) wheels"
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site "$wheels"/*.whl || exit 1
export PYTHONPATH=/tmp/site PYTHONUNBUFFERED=1 TF_CPP_MIN_LOG_LEVEL=3
seqlab() { python3 -m seqlab "$@"; }
stamp "the GPU"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
python3 -c "import torch; print('torch', torch.__version__, torch.cuda.get_device_name(0))"
python3 -c "import jax; print('jax', jax.__version__, jax.devices('gpu'))"
sweeps=()
sweep() {  # sweep NAME ARGS...: one sweep into $runs/NAME, single seed, device=gpu
    local name=$1; shift
    stamp "sweep $name"
    seqlab -m "$@" "device=${SEQLAB_KIT_DEVICE:-gpu}" trainer.progress=false \
        "hydra.sweep.dir=$runs/$name"
    sweeps+=("$runs/$name")
}
steps="trainer.epochs=2 trainer.steps_per_epoch=60 trainer.validation_steps=5"
sweep cudnn_torch +experiment=cudnn_vs_loop backend=torch $steps
sweep cudnn_jax +experiment=cudnn_vs_loop backend=jax trainer.jit_compile=true $steps
long="trainer.epochs=2 trainer.steps_per_epoch=20"
sweep rnnbench_torch +experiment=rnn_benchmarks_lstm backend=torch $long
sweep rnnbench_jax +experiment=rnn_benchmarks_lstm backend=jax trainer.jit_compile=true $long
stamp "the merged table"
python3 -c "from seqlab.cli.report import console_main; console_main()" "${sweeps[@]}" \
    --baseline impl=cell_loop --out "$runs/merged"
cp "$runs/merged/summary.csv" "$runs/merged/summary.md" "$runs/merged/summary.html" \
   "$runs/merged/plotly.min.js" "$out/" 2>/dev/null
stamp "pytest -m gpu"
python3 -m pytest -q -m gpu tests -p no:cacheprovider 2>&1 | tail -5
stamp "done"
