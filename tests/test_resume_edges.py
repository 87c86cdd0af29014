"""A run stopped at the edges of an epoch: after its last checkpoint, after early stopping's
decision, on a NaN loss, with other data. Each is stopped for real in-process (a
KeyboardInterrupt raised right after a checkpoint commit, as Ctrl-C would) and run again.
The e2e kill trials (tests/test_crashes.py) do the same with SIGKILL."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from seqlab.records.checkpoints import Checkpoints
from seqlab.runs.experiment import run_experiment

from .keras_fixtures import write_imdb_npz

QUICK = [
    "dataset.limit=200",
    "model.units=8",
    "model.layers=1",
    "trainer.batch_size=32",
    "trainer.progress=false",
]


def _stop_after_checkpoint(monkeypatch, epoch: int) -> None:
    """Ctrl-C right after the checkpoint of `epoch` is committed (nothing else written)."""
    save = Checkpoints.save

    def save_then_stop(self, model, number, *args, **kwargs):
        save(self, model, number, *args, **kwargs)
        if number == epoch:
            raise KeyboardInterrupt

    monkeypatch.setattr(Checkpoints, "save", save_then_stop)


def _run(compose_cfg, folder, *overrides):
    return run_experiment(compose_cfg(*QUICK, *overrides), folder, list(overrides))


def _epochs(folder) -> list[int]:
    with open(folder / "history.csv") as f:
        return [int(row["epoch"]) for row in csv.DictReader(f)]


def test_a_run_stopped_after_its_last_checkpoint_finishes_when_run_again(
    compose_cfg, tmp_path, monkeypatch
):
    with monkeypatch.context() as patch:
        _stop_after_checkpoint(patch, 3)
        with pytest.raises(KeyboardInterrupt):
            _run(compose_cfg, tmp_path, "trainer.epochs=3")
    stopped = json.loads((tmp_path / "results.json").read_text())
    assert stopped["status"] == "interrupted" and stopped["epochs_finished"] == 3
    assert not (tmp_path / "model.keras").exists()

    results = _run(compose_cfg, tmp_path, "trainer.epochs=3")
    assert results["status"] == "ok", results["error"]
    assert results["epochs_finished"] == 3 and _epochs(tmp_path) == [1, 2, 3]
    assert results["metrics"]["test_accuracy"] is not None  # evaluated by the rerun
    assert (tmp_path / "model.keras").exists() and (tmp_path / "model_best.keras").exists()
    timing = results["timing"]
    assert timing["measured_by"] == "an earlier process"
    assert timing["resumed"] is True and timing["resumed_from_epoch"] == 3
    assert timing["first_epoch_s"] is not None and len(timing["epoch_s"]) == 3
    assert timing["fit_s"] is None  # nothing was fitted by this process


@pytest.mark.e2e  # three runs; the SIGKILL trials (test_resume_determinism) stop early
# stopping too, in the same tier
def test_early_stopping_survives_a_stop_right_after_its_decision(
    compose_cfg, tmp_path, monkeypatch
):
    # A learning rate too small to move the validation accuracy: no improvement after
    # epoch 1, so patience 1 stops the run at epoch 2.
    args = ["trainer.epochs=6", "trainer.lr=1e-9", "trainer.early_stopping.patience=1"]
    whole = _run(compose_cfg, tmp_path / "whole", *args)
    assert whole["settings"]["early_stopping"]["stopped_epoch"] == 2
    with monkeypatch.context() as patch:
        _stop_after_checkpoint(patch, 2)
        with pytest.raises(KeyboardInterrupt):
            _run(compose_cfg, tmp_path / "cut", *args)
    results = _run(compose_cfg, tmp_path / "cut", *args)
    assert results["status"] == "ok"
    assert results["settings"]["early_stopping"]["stopped_epoch"] == 2
    assert _epochs(tmp_path / "cut") == [1, 2] and results["epochs_finished"] == 2
    assert results["metrics"]["val_accuracy"] == whole["metrics"]["val_accuracy"]


def test_a_nan_epoch_is_never_checkpointed(compose_cfg, tmp_path):
    results = run_experiment(
        compose_cfg(
            "dataset=adding",
            "dataset.length=6",
            "dataset.n_train=200",
            "trainer.lr=1e30",
            "trainer.optimizer=sgd",
            "trainer.batch_size=8",
            "trainer.progress=false",
            "model.activation=linear",
            "model.cell=simple_rnn",
        ),
        tmp_path,
        [],
    )
    assert results["status"] == "failed" and "NaN at epoch" in results["error"]
    latest = Checkpoints(tmp_path).latest()
    if latest is not None:  # only epochs that ended with finite weights
        import h5py

        with h5py.File(latest.weights) as f:
            arrays = []
            f.visititems(lambda _, v: arrays.append(np.asarray(v)) if hasattr(v, "dtype") else None)
        assert arrays and all(np.isfinite(a).all() for a in arrays)


def test_a_resume_onto_another_data_file_is_refused_naming_it(compose_cfg, tmp_path, monkeypatch):
    data = tmp_path / "imdb.npz"
    write_imdb_npz(data, n_train=120, n_test=40, seed=0)
    args = ["dataset=imdb", f"dataset.path={data}", "dataset.maxlen=20", "trainer.epochs=3"]
    with monkeypatch.context() as patch:
        _stop_after_checkpoint(patch, 1)
        with pytest.raises(KeyboardInterrupt):
            _run(compose_cfg, tmp_path / "run", *args)
    write_imdb_npz(data, n_train=120, n_test=40, seed=1)  # same name, other reviews
    results = _run(compose_cfg, tmp_path / "run", *args)
    assert results["status"] == "failed" and results["error_type"] == "FolderError"
    assert str(data) in results["error"] and "other data" in results["error"]
    assert Checkpoints(tmp_path / "run").latest().epoch == 1  # kept for the original file


def test_a_finished_run_is_not_skipped_when_its_data_file_was_replaced(compose_cfg, tmp_path):
    """The same command skipped a finished run whatever its file held now, and a sweep
    then put lstm on the old file beside gru on the new one as one table."""
    from seqlab.errors import FolderError

    data = tmp_path / "imdb.npz"
    write_imdb_npz(data, n_train=120, n_test=40, seed=0)
    args = ["dataset=imdb", f"dataset.path={data}", "dataset.maxlen=20", "trainer.epochs=1"]
    assert _run(compose_cfg, tmp_path / "run", *args)["status"] == "ok"
    assert _run(compose_cfg, tmp_path / "run", *args).get("skipped")  # same file: skipped
    write_imdb_npz(data, n_train=120, n_test=40, seed=1)  # same name, other reviews
    with pytest.raises(FolderError, match="other data") as refused:
        _run(compose_cfg, tmp_path / "run", *args)
    assert str(data) in str(refused.value) and "skip_finished=false" in str(refused.value)
    assert json.loads((tmp_path / "run" / "results.json").read_text())["status"] == "ok"


def test_a_damaged_newest_checkpoint_is_passed_over_and_said(
    compose_cfg, tmp_path, monkeypatch, capsys
):
    with monkeypatch.context() as patch:
        _stop_after_checkpoint(patch, 2)
        with pytest.raises(KeyboardInterrupt):
            _run(compose_cfg, tmp_path, "trainer.epochs=3")
    newest = tmp_path / "checkpoint" / "epoch_0002.weights.h5"
    newest.write_bytes(newest.read_bytes()[:100])  # cut short by a dying disk
    results = _run(compose_cfg, tmp_path, "trainer.epochs=3")
    assert results["status"] == "ok" and results["timing"]["resumed_from_epoch"] == 1
    (warning,) = [w for w in results["warnings"] if "passed over" in w]
    assert "epoch 2" in warning and "resumes from epoch 1" in warning
    assert "passed over" in capsys.readouterr().err
