"""The GPU user's path on a machine without one: what device=gpu says, what smoke runs do,
mixed precision, and a run that imports only what it needs."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from seqlab.backends import devices
from seqlab.errors import DeviceError
from seqlab.schema.options import DeviceConfig, ModelConfig

from .conftest import filtered_venv, run_cli


@pytest.mark.parametrize(
    ("backend", "advice"),
    [("tensorflow", "pip install 'seqlab[gpu]'"), ("jax", "jax[cuda12]"), ("torch", "CUDA build")],
)
def test_a_gpu_the_backend_cannot_see_is_named_with_what_to_install(monkeypatch, backend, advice):
    monkeypatch.setattr(devices, "nvidia_gpu", lambda: "NVIDIA H200")
    said = devices.no_gpu_message(backend)
    framework = devices.FRAMEWORKS[backend]
    assert f"this machine has an NVIDIA GPU (NVIDIA H200), but {framework} sees none" in said
    assert advice in said and "device=cpu" in said
    monkeypatch.setattr(devices, "nvidia_gpu", lambda: None)
    said = devices.no_gpu_message(backend)
    assert "this machine shows none" in said and advice not in said


def test_device_gpu_on_this_cpu_machine_raises_the_message(monkeypatch):
    monkeypatch.setattr(devices, "nvidia_gpu", lambda: "NVIDIA H200")
    with pytest.raises(DeviceError, match=r"NVIDIA H200\), but TensorFlow sees none"):
        devices.select_device(DeviceConfig(name="gpu"), "tensorflow")
    info, _ = devices.select_device(DeviceConfig(name="gpu"), "tensorflow", smoke=True)
    assert info.used == "cpu" and info.requested == "gpu"
    assert "this smoke run ran on the cpu" in info.note
    # The run's summary says it fell back, not "cpu (default)".
    from types import SimpleNamespace

    from rich.console import Console

    from seqlab.training.progress import print_summary

    console = Console(record=True, width=300)
    record = SimpleNamespace(title="t", output_dir="o", metrics={"metric": "accuracy"},
                             timing={}, cudnn={"eligible": True, "kernel": "generic"},
                             device=info.as_dict())  # fmt: skip
    print_summary(console, record)
    assert "cpu, not the gpu asked for: device=gpu, but" in console.export_text()


def test_the_probe_reads_the_driver_when_it_is_there():
    found = devices.nvidia_gpu()
    has_driver = Path("/proc/driver/nvidia").exists()
    assert (found is not None) == (has_driver or bool(found))


@pytest.mark.parametrize("precision", ["mixed_float16", "mixed_bfloat16"])
def test_mixed_precision_is_no_cudnn_for_jaxs_lstm_and_bfloat16_on_tensorflow(precision):
    from seqlab.backends import jax as jax_rules
    from seqlab.backends import tensorflow as tf_rules

    lstm = ModelConfig(cell="lstm")
    assert any(
        "float32 only" in r for r in jax_rules.cudnn_refusals("lstm", lstm, False, precision)
    )
    assert jax_rules.cudnn_refusals("lstm", lstm, False, "float32") == []
    on_tf = tf_rules.cudnn_refusals("lstm", lstm, False, precision)
    assert bool(on_tf) == (precision == "mixed_bfloat16")


def test_a_mixed_precision_run_records_its_policy(compose_cfg, tmp_path):
    from seqlab.runs.experiment import run_experiment

    overrides = [
        "trainer=smoke",
        "trainer.progress=false",
        "model.units=8",
        "model.layers=1",
        "dataset.limit=200",
        "trainer.precision=mixed_bfloat16",
    ]
    results = run_experiment(compose_cfg(*overrides), tmp_path, overrides)
    assert results["status"] == "ok", results["error"]
    assert results["settings"]["precision"] == "mixed_bfloat16"
    assert results["settings"]["dtype_policy"] == "mixed_bfloat16"
    again = run_experiment(compose_cfg(*overrides[:-1]), tmp_path / "b", [])
    assert again["settings"]["dtype_policy"] == "float32"  # the process does not keep it


@pytest.mark.e2e
def test_a_smoke_sweep_runs_without_scipy_sklearn_matplotlib_pillow_or_plotly(tmp_path):
    """A venv that sees every installed package but those: what a GPU box set up with the
    kit's wheels has. The sweep runs, its summary says which extra would draw the charts,
    and the report imports no TensorFlow."""
    left_out = (
        "scipy",
        "sklearn",
        "scikit_learn",
        "matplotlib",
        "mpl_toolkits",
        "PIL",
        "pillow",
        "plotly",
        "_plotly",
    )
    python = filtered_venv(tmp_path, left_out)
    probe = (
        "import importlib.util as u; print([m for m in ('scipy','sklearn','matplotlib',"
        "'PIL','plotly') if u.find_spec(m)])"
    )
    assert (
        subprocess.run([python, "-c", probe], capture_output=True, text=True).stdout.strip() == "[]"
    )
    env = {**os.environ, "PYTHONNOUSERSITE": "1"}
    done = subprocess.run(
        [
            python,
            "-m",
            "seqlab",
            "-m",
            "model=lstm,gru",
            "trainer=smoke",
            "trainer.progress=false",
            "dataset=adding",
            "dataset.length=8",
            "dataset.n_train=200",
            "hydra.sweep.dir=s",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "summary.png was not drawn" in done.stdout and "seqlab[charts]" in done.stdout
    record = json.loads((tmp_path / "s" / "0" / "results.json").read_text())
    assert record["status"] == "ok" and any("seqlab[charts]" in w for w in record["warnings"])
    page = (tmp_path / "s" / "summary.html").read_text()
    assert "seqlab[charts]" in page and "<table" in page
    digits = run_cli("trainer=smoke", "hydra.run.dir=d", cwd=tmp_path)  # the full install: ok
    assert digits.returncode == 0
    no_sklearn = subprocess.run(
        [python, "-m", "seqlab", "trainer=smoke", "hydra.run.dir=d2"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert no_sklearn.returncode == 2 and "seqlab[digits]" in no_sklearn.stderr
    report = subprocess.run(
        [
            python,
            "-c",
            "import sys; from seqlab.cli.report import main; "
            "code = main([sys.argv[1]]); assert 'tensorflow' not in sys.modules; print('ok')",
            str(tmp_path / "s"),
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    assert report.stdout.strip().endswith("ok"), report.stderr[-2000:]
