"""Same seed, same start: initial weights across implementations and backends, with no
weights copied; and NumPy's draws against Keras's own initializers."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from seqlab.backends.devices import DeviceInfo
from seqlab.config import validate
from seqlab.runs.setup import prepare
from seqlab.training.fingerprints import weights_fingerprint
from seqlab.training.trainer import build_start

CPU = DeviceInfo("cpu", "cpu", False, None, "default")


def _start(compose_cfg, *overrides) -> tuple[str, list[str]]:
    run = prepare(validate(compose_cfg("model.units=8", "dataset.limit=100", *overrides)), CPU)
    model, kept = build_start(run)
    return weights_fingerprint(model), kept


@pytest.mark.parametrize("shape", [["model=lstm"], ["model=gru", "model.bidirectional=true"]])
def test_every_impl_starts_from_the_same_weights_for_a_seed(compose_cfg, shape):
    starts = {impl: _start(compose_cfg, *shape, f"impl={impl}") for impl in
              ("layer", "cell_loop", "manual", "unrolled")}  # fmt: skip
    assert len({fingerprint for fingerprint, _ in starts.values()}) == 1, starts
    assert all(kept == [] for _, kept in starts.values())  # every weight drawn in NumPy
    other, _ = _start(compose_cfg, *shape, "impl=layer", "trainer.seed=43")
    assert other != starts["layer"][0]


def test_the_cudnn_check_no_longer_moves_the_start(compose_cfg):
    # impl=layer builds a throwaway cell in the cuDNN check; SimpleRNN has no such check.
    lstm_layer, _ = _start(compose_cfg, "model=lstm", "impl=layer", "model.layers=1")
    lstm_loop, _ = _start(compose_cfg, "model=lstm", "impl=cell_loop", "model.layers=1")
    assert lstm_layer == lstm_loop


@pytest.mark.e2e
def test_tensorflow_and_jax_start_from_the_same_weights(tmp_path):
    pytest.importorskip("jax")
    code = (
        "import json, sys\n"
        "from seqlab.backends import activate\n"
        "activate(sys.argv[1])\n"
        "from hydra import compose, initialize_config_dir\n"
        "from seqlab.config import validate\n"
        "from seqlab.config.store import conf_dir, register_schemas\n"
        "from seqlab.backends.devices import DeviceInfo\n"
        "from seqlab.runs.setup import prepare\n"
        "from seqlab.training.fingerprints import weights_fingerprint\n"
        "from seqlab.training.trainer import build_start\n"
        "register_schemas()\n"
        "with initialize_config_dir(str(conf_dir()), version_base='1.3'):\n"
        "    cfg = compose('config', overrides=['model=gru', 'model.units=8', "
        "'dataset.limit=100', 'backend=' + sys.argv[1]])\n"
        "run = prepare(validate(cfg), DeviceInfo('cpu', 'cpu', False, None, 'default'))\n"
        "model, kept = build_start(run)\n"
        "print(json.dumps([weights_fingerprint(model), kept]))\n"
    )
    prints = {}
    for backend in ("tensorflow", "jax"):
        done = subprocess.run(
            [sys.executable, "-c", code, backend], capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr[-2000:]
        prints[backend] = json.loads(done.stdout.strip().splitlines()[-1])
    assert prints["tensorflow"] == prints["jax"], prints


@pytest.mark.parametrize(
    ("name", "shape", "options"),
    [
        ("GlorotUniform", (64, 256), {}),
        ("GlorotUniform", (20000,), {}),  # one axis: both fans are its length
        ("HeUniform", (3, 40, 50), {}),  # a kernel over time: fans times the window
        ("Orthogonal", (64, 256), {}),
        ("RandomUniform", (500, 100), {}),
        ("HeNormal", (128, 128), {}),
        ("TruncatedNormal", (128, 128), {}),
        (
            "VarianceScaling",
            (64, 256),
            {"scale": 3.0, "mode": "fan_out", "distribution": "uniform"},
        ),
        ("Ones", (8, 4), {}),
    ],
)
def test_numpy_draws_follow_kerass_own_initializers(name, shape, options):
    """The oracle is Keras: the same initializer's values on the running backend."""
    import keras

    from seqlab.models.numpy_init import draw

    initializer = getattr(keras.initializers, name)(**options)
    theirs = np.asarray(initializer(shape))
    mine = draw(initializer, shape, np.random.default_rng(0))
    assert mine.shape == theirs.shape
    if theirs.std() == 0:  # a constant: the same values
        np.testing.assert_array_equal(mine, theirs)
        return
    np.testing.assert_allclose(mine.std(), theirs.std(), rtol=0.03)
    np.testing.assert_allclose(np.abs(mine).max(), np.abs(theirs).max(), rtol=0.1)
    assert abs(mine.mean()) < 3 * theirs.std() / math.sqrt(mine.size) + 1e-6
    if name == "Orthogonal":  # rows orthonormal, as Keras's are
        np.testing.assert_allclose(mine @ mine.T, theirs @ theirs.T, atol=1e-5)


def test_the_start_is_numpys_draw_from_the_seed_and_each_weights_place(compose_cfg):
    """The promise behind every backend's same start, checked against NumPy directly: a
    Glorot-uniform kernel is `default_rng([seed, its place]).uniform(+-sqrt(6 / (fan_in +
    fan_out)))` and an embedding `uniform(+-0.05)`, whatever Keras's own generator would
    have drawn (the fast tier has one backend, so only this sees a start left to Keras)."""
    given = ("dataset=random_tokens", "model=lstm", "model.units=8", "trainer.seed=7")
    run = prepare(validate(compose_cfg(*given)), CPU)
    model, _ = build_start(run)
    checked = set()
    for place, variable in enumerate(model.weights):
        name = variable.path.rsplit("/", 1)[-1]
        shape = tuple(int(d) for d in variable.shape)
        rng = np.random.default_rng([7, place])
        if name == "kernel" and len(shape) == 2:
            limit = math.sqrt(6.0 / (shape[0] + shape[1]))
            expected = rng.uniform(-limit, limit, size=shape)
        elif name == "embeddings":
            expected = rng.uniform(-0.05, 0.05, size=shape)
        else:
            continue
        got = np.asarray(variable.numpy(), dtype=np.float64)
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7, err_msg=variable.path)
        checked.add(name)
    assert checked == {"kernel", "embeddings"}
