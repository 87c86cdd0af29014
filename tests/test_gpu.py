"""On a GPU machine: the eligible fused LSTM takes cuDNN, and the detector says so.

Marked `gpu` and skipped where no backend sees a GPU (the development machines and
CI have none); benchmarks/gpu/run.sh runs them on a lent GPU machine.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys

import pytest

pytestmark = pytest.mark.gpu

PROBES = {
    "torch": "import torch; print(torch.cuda.is_available())",
    "jax": (
        "import jax\ntry:\n    print(bool(jax.devices('gpu')))\n"
        "except RuntimeError:\n    print(False)"
    ),
    "tensorflow": "import tensorflow as tf; print(bool(tf.config.list_physical_devices('GPU')))",
}


def _has_gpu(backend: str) -> bool:
    # No NVIDIA driver tool, no GPU: decided without starting a framework.
    if shutil.which("nvidia-smi") is None or importlib.util.find_spec(backend) is None:
        return False
    probe = subprocess.run(
        [sys.executable, "-c", PROBES[backend]], capture_output=True, text=True, timeout=300
    )
    return probe.stdout.strip().endswith("True")


@pytest.mark.parametrize("backend", ["tensorflow", "jax", "torch"])
def test_an_eligible_lstm_runs_cudnn_on_the_gpu_and_the_detector_says_so(backend, tmp_path):
    if not _has_gpu(backend):
        pytest.skip(f"{backend} sees no GPU here")
    args = [
        "model=lstm",
        "impl=layer",
        f"backend={backend}",
        "device=gpu",
        "trainer=smoke",
        "trainer.progress=false",
        "hydra.run.dir=run",
    ]
    if backend == "jax":
        args.append("trainer.jit_compile=true")
    proc = subprocess.run(
        [sys.executable, "-m", "seqlab", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    record = json.loads((tmp_path / "run" / "results.json").read_text())
    assert record["device"]["used"] == "gpu" and record["env"]["gpu"]
    assert record["cudnn"]["eligible"] and record["cudnn"]["kernel"] == "cudnn"
