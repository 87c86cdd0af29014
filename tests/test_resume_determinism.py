"""A crash changes nothing: a run SIGKILLed in the middle and started again with the same
command ends with the weights, history, metrics and early-stopping epoch of the same run
left alone. Resuming needs the data order of every epoch (a function of the seed and the
epoch) and the states of the random generators (dropout masks), which no weights file holds.

Each case runs the real command line: the whole run and the one to kill side by side,
then the killed one again, in a new process.
"""

from __future__ import annotations

import csv
import io
import json
import signal
import zipfile

import numpy as np
import pytest

from .conftest import checkpointed, run_cli, start_cli, wait_for

pytestmark = pytest.mark.e2e

EPOCHS = 6
KILL_AFTER = 2  # killed once this epoch's checkpoint is committed: in epoch 3, or later
QUICK = ["dataset.limit=300", "model.units=8", "model.layers=1", "trainer.progress=false"]
DROPOUT = ["model.dropout=0.2", "model.recurrent_dropout=0.2"]
STATEFUL = [
    "+experiment=adding_stateful",
    "dataset.length=40",
    "dataset.n_train=160",
    "dataset.n_test=50",
    "model.chunk_length=10",
    "model.units=8",
    "model.dropout=0.2",
    "trainer.progress=false",
]
CASES = {
    "layer": [*QUICK, *DROPOUT, "trainer.early_stopping.patience=2"],
    "manual": [*QUICK, *DROPOUT, "impl=manual"],
    "steps_per_epoch": [
        *QUICK,
        *DROPOUT,
        "trainer.steps_per_epoch=7",
        "trainer.lr_schedule=cosine",
    ],
    "shuffle_buffer": [
        *QUICK,
        *DROPOUT,
        "trainer.shuffle_buffer=50",
        "trainer.drop_remainder=true",
        "trainer.seed=0",  # a global seed of 0 for TensorFlow
    ],
    "stateful": STATEFUL,
    "stateful_steps_per_epoch": [*STATEFUL, "trainer.steps_per_epoch=3"],
    "jax": [*QUICK, *DROPOUT, "backend=jax"],
    "torch": [*QUICK, *DROPOUT, "backend=torch"],
}


def _results(folder):
    return json.loads((folder / "results.json").read_text())


def _weights(folder) -> dict[str, np.ndarray]:
    """Every array of model.keras (the model's and the optimizer's variables)."""
    import h5py

    with zipfile.ZipFile(folder / "model.keras") as archive:
        data = archive.read("model.weights.h5")
    arrays: dict[str, np.ndarray] = {}
    with h5py.File(io.BytesIO(data)) as f:
        f.visititems(lambda k, v: arrays.update({k: v[()]}) if hasattr(v, "dtype") else None)
    return arrays


def _history(folder) -> list[dict[str, float]]:
    """history.csv without its wall-clock columns."""
    with open(folder / "history.csv") as f:
        rows = list(csv.DictReader(f))
    return [{k: float(v) for k, v in row.items() if not k.endswith("epoch_s")} for row in rows]


@pytest.mark.parametrize("case", CASES)
def test_a_run_killed_and_started_again_ends_as_the_run_left_alone(tmp_path, case):
    if case in ("jax", "torch"):
        pytest.importorskip(case)
    args = [*CASES[case], f"trainer.epochs={EPOCHS}"]
    whole, cut = tmp_path / "whole", tmp_path / "cut"
    left_alone = start_cli(*args, "hydra.run.dir=whole", cwd=tmp_path)
    killed = start_cli(*args, "hydra.run.dir=cut", cwd=tmp_path)
    reached = wait_for(lambda: checkpointed(cut) >= KILL_AFTER, 300, killed)
    killed.send_signal(signal.SIGKILL)
    _, err = killed.communicate(timeout=120)
    assert reached, f"never reached the kill point; exit {killed.returncode}: {err[-2000:]}"
    assert _results(cut)["status"] == "running", "the run ended before the kill"
    again = run_cli(*args, "hydra.run.dir=cut", cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    _, err = left_alone.communicate(timeout=600)
    assert left_alone.returncode == 0, err[-3000:]

    theirs, mine = _results(whole), _results(cut)
    assert mine["timing"]["resumed"] is True
    assert KILL_AFTER <= mine["timing"]["resumed_from_epoch"] < mine["epochs_finished"]
    assert mine["start"] == theirs["start"]  # weights, data, data order, pipeline, seed
    rows, expected = _history(cut), _history(whole)
    assert [row["epoch"] for row in rows] == [row["epoch"] for row in expected]
    for row, want in zip(rows, expected, strict=True):
        assert row == pytest.approx(want, rel=1e-6, abs=1e-7), row["epoch"]
    stopping = mine["settings"]["early_stopping"]["stopped_epoch"]
    assert stopping == theirs["settings"]["early_stopping"]["stopped_epoch"]
    resumed, alone = _weights(cut), _weights(whole)
    assert resumed.keys() == alone.keys()
    for name, array in alone.items():
        np.testing.assert_allclose(resumed[name], array, rtol=0, atol=1e-6, err_msg=name)
    for key, value in theirs["metrics"].items():
        same = pytest.approx(value, rel=1e-6) if isinstance(value, float) else value
        assert mine["metrics"][key] == same, key
