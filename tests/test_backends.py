"""Keras on TensorFlow, JAX and PyTorch: the backend group, its refusals, a mixed sweep."""

from __future__ import annotations

import csv
import importlib.util
import json
import subprocess
import sys

import pytest

from seqlab.config import validate
from seqlab.errors import ConfigError

from .conftest import run_cli

HAS_JAX = importlib.util.find_spec("jax") is not None
HAS_TORCH = importlib.util.find_spec("torch") is not None
SMOKE = ["trainer=smoke", "trainer.progress=false", "model.units=4"]


def test_the_backend_group_defaults_to_tensorflow(compose_cfg):
    assert validate(compose_cfg()).backend.name == "tensorflow"
    assert validate(compose_cfg("backend=jax")).backend.name == "jax"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            ["backend=jax", "model.stateful=true", "model.chunk_length=2"],
            "cannot run on backend=jax",
        ),
        (
            ["backend=torch", "model.stateful=true", "model.chunk_length=2"],
            "impl=layer fails to train on backend=torch",
        ),
        (["backend=torch", "model.use_cudnn=true"], "cannot be enforced for lstm on backend=torch"),
        (
            ["backend=jax", "model=gru", "model.use_cudnn=true"],
            "cannot be enforced for gru on backend=jax",
        ),
    ],
)
def test_what_keras_does_wrong_on_a_backend_is_refused(compose_cfg, overrides, message):
    with pytest.raises(ConfigError, match=message):
        validate(compose_cfg(*overrides))
    # The same on TensorFlow is fine (stateful on torch is fine with a cell loop).
    validate(compose_cfg(*[o for o in overrides if not o.startswith("backend=")]))


def _python(code: str, backend: str) -> subprocess.CompletedProcess:
    env_code = f"import os; os.environ['KERAS_BACKEND'] = {backend!r}\n" + code
    return subprocess.run(
        [sys.executable, "-c", env_code], capture_output=True, text=True, timeout=300
    )


ELIGIBILITY = """
import json, numpy as np
from seqlab.config import ModelConfig
from seqlab.models.cells import CELLS
from seqlab.models.cudnn import cudnn_eligibility
cases = {
    "lstm": ModelConfig(cell="lstm"),
    "gru": ModelConfig(cell="gru"),
    "bi_sequences": ModelConfig(cell="lstm", bidirectional=True, layers=2),
    "relu": ModelConfig(cell="lstm", activation="relu"),
}
out = {k: cudnn_eligibility(CELLS.get(c.cell), c, "layer").reasons for k, c in cases.items()}
mask = [np.array([[1, 1, 0]], bool)]
out["masked"] = cudnn_eligibility(CELLS.get("lstm"), ModelConfig(), "layer", mask).reasons
print(json.dumps(out))
"""


@pytest.mark.e2e
@pytest.mark.skipif(not HAS_JAX, reason="JAX is not installed (extra seqlab[jax])")
def test_jax_cudnn_rules_come_from_keras_and_name_its_gaps():
    proc = _python(ELIGIBILITY, "jax")
    assert proc.returncode == 0, proc.stderr[-2000:]
    reasons = json.loads(proc.stdout.splitlines()[-1])
    assert reasons["lstm"] == []
    assert any("no cuDNN GRU" in r for r in reasons["gru"])
    assert any("backward sequence in the wrong time order" in r for r in reasons["bi_sequences"])
    assert reasons["relu"] == ["activation=relu (Keras's cuDNN check refuses it)"]
    assert reasons["masked"] == ["masked input (Keras's JAX cuDNN LSTM takes no mask)"]


@pytest.mark.e2e
@pytest.mark.skipif(not HAS_TORCH, reason="PyTorch is not installed (extra seqlab[torch])")
def test_torch_cudnn_rules_come_from_keras():
    proc = _python(ELIGIBILITY, "torch")
    assert proc.returncode == 0, proc.stderr[-2000:]
    reasons = json.loads(proc.stdout.splitlines()[-1])
    assert reasons["lstm"] == [] and reasons["gru"] == [] and reasons["bi_sequences"] == []
    assert reasons["masked"] == ["masked input (Keras's torch cuDNN path takes no mask)"]


DETECT = """
import numpy as np, keras
from seqlab.backends import current
m = keras.Sequential([keras.Input((5, 3)), keras.layers.LSTM(4), keras.layers.Dense(1)])
m.compile(optimizer="adam", loss="mse")
x, y = np.ones((8, 5, 3), "float32"), np.ones((8, 1), "float32")
m.fit(x, y, epochs=1, verbose=0)
backend = current()
print(backend.detect_kernel(m, (x, y)), backend.detect_kernel(m, None))
"""


@pytest.mark.e2e
@pytest.mark.parametrize(
    "backend",
    [
        pytest.param("jax", marks=pytest.mark.skipif(not HAS_JAX, reason="no JAX")),
        pytest.param("torch", marks=pytest.mark.skipif(not HAS_TORCH, reason="no PyTorch")),
    ],
)
def test_the_kernel_detector_of_each_backend_says_generic_on_the_cpu(backend):
    proc = _python(DETECT, backend)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split()[-2:] == ["generic", "None"]  # None: no batch to look with
    if backend == "jax":
        lowered = _python(
            DETECT.replace("print(backend", "print(len(backend.lowered_step(m, (x, y))), backend"),
            "jax",
        )
        assert int(lowered.stdout.split()[-3]) > 1000  # the walker reached the real step


@pytest.mark.e2e
@pytest.mark.skipif(not HAS_JAX, reason="JAX is not installed (extra seqlab[jax])")
def test_a_sweep_over_backends_runs_each_job_on_its_own_with_the_default_launcher(tmp_path):
    args = ["-m", "backend=tensorflow,jax,tensorflow", *SMOKE, "hydra.sweep.dir=sweep"]
    result = run_cli(*args, cwd=tmp_path)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    with open(tmp_path / "sweep" / "summary.csv") as f:
        rows = list(csv.DictReader(f))
    assert [(r["backend"], r["status"], r["kernel"]) for r in rows] == [
        ("tensorflow", "ok", "generic"),
        ("jax", "ok", "generic"),
        ("tensorflow", "ok", "generic"),
    ]
    records = [
        json.loads((tmp_path / "sweep" / str(j) / "results.json").read_text()) for j in range(3)
    ]
    assert records[1]["env"]["jax"] and "tensorflow" not in records[1]["env"]
    # Job 1 ran in a child process (its backend differs), jobs 0 and 2 in the sweep's.
    assert records[0]["pid"] == records[2]["pid"] != records[1]["pid"]
    assert rows[0]["val_accuracy"] == rows[2]["val_accuracy"]  # same job, same result


@pytest.mark.e2e
@pytest.mark.skipif(not HAS_JAX, reason="JAX is not installed (extra seqlab[jax])")
def test_backend_jax_runs_without_importing_tensorflow(tmp_path):
    # `import tensorflow` fails in this process, as on a machine without it.
    code = (
        "import sys; sys.modules['tensorflow'] = None\n"
        "sys.argv = ['seqlab', 'backend=jax', 'trainer=smoke', 'trainer.progress=false',"
        " 'hydra.run.dir=run']\n"
        "from seqlab.cli.main import main\n"
        "main()\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    record = json.loads((tmp_path / "run" / "results.json").read_text())
    assert record["status"] == "ok" and record["env"]["backend"] == "jax"
