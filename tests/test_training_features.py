"""Early stopping, learning-rate schedules with warm-up, and the best epoch's model."""

from __future__ import annotations

import json

import numpy as np
import pytest

from seqlab.config import TrainerConfig, validate
from seqlab.errors import ConfigError
from seqlab.runs.experiment import run_experiment
from seqlab.training.callbacks import best_epoch
from seqlab.training.optimizers import make_optimizer

from .conftest import run_cli


def _rate_at(cfg: TrainerConfig, updates: int, step: int) -> float:
    optimizer = make_optimizer(cfg, updates=updates)
    optimizer.iterations.assign(step)
    return float(optimizer.learning_rate)


def test_cosine_with_warm_up_rises_then_decays_to_zero():
    cfg = TrainerConfig(lr=0.1, lr_schedule="cosine", lr_warmup_steps=10)
    assert _rate_at(cfg, 110, 0) == pytest.approx(0.01)  # (0 + 1) / 10 of the rate
    assert _rate_at(cfg, 110, 9) == pytest.approx(0.1)
    assert _rate_at(cfg, 110, 10) == pytest.approx(0.1)  # the cosine starts at the top
    assert _rate_at(cfg, 110, 60) == pytest.approx(0.05, rel=1e-3)  # half way down
    assert _rate_at(cfg, 110, 110) == pytest.approx(0.0, abs=1e-7)


def test_step_schedule_multiplies_by_the_rate_every_n_steps_and_none_is_constant():
    cfg = TrainerConfig(lr=0.1, lr_schedule="step", lr_decay_steps=5, lr_decay_rate=0.5)
    assert [_rate_at(cfg, 100, s) for s in (0, 4, 5, 10)] == pytest.approx([0.1, 0.1, 0.05, 0.025])
    assert _rate_at(TrainerConfig(lr=0.02), 100, 77) == pytest.approx(0.02)


def test_a_step_schedule_without_its_interval_is_refused(compose_cfg):
    with pytest.raises(ConfigError, match="lr_decay_steps"):
        validate(compose_cfg("trainer.lr_schedule=step"))
    with pytest.raises(ConfigError, match="Unknown option"):
        validate(compose_cfg("+trainer.early_stopping.patiense=3"))
    with pytest.raises(ConfigError, match=r"trainer\.early_stopping\.patience=0"):
        validate(compose_cfg("trainer.early_stopping.patience=0"))


def test_the_best_epoch_is_the_last_real_improvement():
    rows = [{"epoch": e, "val_accuracy": v} for e, v in enumerate([0.5, 0.7, 0.705, 0.6], 1)]
    assert best_epoch(rows, "val_accuracy", True) == 3
    assert best_epoch(rows, "val_accuracy", True, min_delta=0.01) == 2
    losses = [{"epoch": e, "val_mse": v} for e, v in enumerate([3.0, 2.0, float("nan")], 1)]
    assert best_epoch(losses, "val_mse", False) == 2


@pytest.mark.e2e  # a whole training run: kept out of the fast tier
def test_early_stopping_stops_and_keeps_the_best_epochs_model(compose_cfg, tmp_path):
    import keras

    overrides = [
        "dataset.limit=300",
        "model.units=8",
        "trainer.epochs=60",
        "trainer.lr=0.05",
        "trainer.early_stopping.patience=2",
        "trainer.progress=false",
    ]
    results = run_experiment(compose_cfg(*overrides), tmp_path, overrides)
    assert results["status"] == "ok", results["error"]
    stopped = results["settings"]["early_stopping"]["stopped_epoch"]
    best = results["metrics"]["best_epoch"]
    assert stopped is not None and stopped < 60 and stopped - best == 2
    history = (tmp_path / "history.csv").read_text().splitlines()
    assert len(history) - 1 == stopped
    assert results["files"]["model_best"] == "model_best.keras"
    # The kept model is the best epoch's: it scores that epoch's validation accuracy.
    from seqlab.data import load_dataset

    data = load_dataset(validate(compose_cfg(*overrides)).dataset)
    model = keras.models.load_model(tmp_path / "model_best.keras")
    predicted = np.asarray(model.predict(data.x_val, verbose=0)).argmax(-1)
    accuracy = float((predicted == data.y_val).mean())
    assert accuracy == pytest.approx(results["metrics"]["best_val_accuracy"], abs=1e-6)


@pytest.mark.e2e
def test_the_issue_command_stops_early_on_digits_and_records_the_epoch(tmp_path):
    result = run_cli(
        "trainer.epochs=200",
        "trainer.early_stopping.patience=2",
        "trainer.progress=false",
        "hydra.run.dir=run",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    record = json.loads((tmp_path / "run" / "results.json").read_text())
    stopped = record["settings"]["early_stopping"]["stopped_epoch"]
    assert stopped is not None and stopped < 200
    assert len(record["timing"]["epoch_s"]) == stopped


@pytest.mark.e2e  # trains for seconds on purpose: kept out of the fast tier (the cap's
# arithmetic is checked in the fast tier below)
def test_a_time_cap_stops_a_run_where_it_passes_even_inside_the_first_step(compose_cfg, tmp_path):
    from seqlab.runs.experiment import run_experiment

    quick = ["dataset.limit=300", "model.units=4", "model.layers=1", "trainer.progress=false"]
    traced = run_experiment(compose_cfg(*quick, "trainer.time_cap_s=0.001"), tmp_path / "a", [])
    assert traced["status"] == "failed" and traced["error_type"] == "TimeCapReached"
    assert "during its first step" in traced["error"]
    later = run_experiment(
        compose_cfg(*quick, "trainer.time_cap_s=4", "trainer.epochs=2000"), tmp_path / "b", []
    )
    assert later["status"] == "failed" and "passed trainer.time_cap_s=4 s" in later["error"]
    assert later["epochs_finished"] < 2000


def test_the_time_cap_counts_a_runs_own_time_not_its_waits_for_turns():
    import time
    from types import SimpleNamespace

    from seqlab.training.limits import TimeCap, TimeCapReached

    gate = SimpleNamespace(waited_s=0.0)
    cap = TimeCap(1.0, gate)
    cap._start, cap._start_waited, cap._epoch = time.perf_counter() - 5.0, 0.0, 3
    gate.waited_s = 4.5  # most of those 5 s it waited while the others computed
    cap.on_train_batch_end(6)
    gate.waited_s = 3.0
    with pytest.raises(TimeCapReached, match="at epoch 3, step 7"):
        cap.on_train_batch_end(6)


@pytest.mark.e2e  # trains until the step time is known: kept out of the fast tier
def test_until_precise_stops_once_the_step_time_is_known_well_enough(compose_cfg, tmp_path):
    from seqlab.runs.experiment import run_experiment

    quick = ["dataset.limit=300", "model.units=4", "model.layers=1", "trainer.progress=false"]
    cfg = compose_cfg(*quick, "trainer.epochs=200", "trainer.until_precise=0.2")
    record = run_experiment(cfg, tmp_path, [])
    assert record["status"] == "ok" and record["epochs_finished"] < 200
    precise = record["timing"]["precise"]
    assert precise["half_width"] <= 0.2 and precise["steady_steps"] >= 20
    assert precise["steady_steps"] == record["timing"]["steady_steps"]


def test_a_run_out_of_memory_says_so_and_fails_cleanly(compose_cfg, tmp_path):
    """A real allocation far beyond the machine (400 TB of tokens): numpy refuses it."""
    from seqlab.runs.experiment import run_experiment

    cfg = compose_cfg("dataset=random_tokens", "dataset.length=1000000000",
                      "dataset.n_train=100000", "trainer=smoke")  # fmt: skip
    record = run_experiment(cfg, tmp_path, [])
    assert record["status"] == "failed" and record["error_type"] == "OutOfMemory"
    assert "ran out of memory" in record["error"] and "traceback" not in record


def test_a_resumed_runs_time_cap_counts_the_earlier_processes_training(compose_cfg, tmp_path):
    """The cap started again on resume: a run failing at epoch 36 uninterrupted trained
    to epoch 60 when interrupted at 20 and run again."""
    import time

    from seqlab.training.limits import TimeCap, TimeCapReached

    cap = TimeCap(10.0, spent_s=9.5)
    cap._start, cap._start_waited, cap._epoch = time.perf_counter() - 1.0, 0.0, 21
    with pytest.raises(TimeCapReached, match="at epoch 21"):
        cap.on_train_batch_end(0)
