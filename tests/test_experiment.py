"""One run end to end, in-process: results.json, history.csv, tasks, reproducibility."""

from __future__ import annotations

import csv
import json
import warnings

import pytest

from seqlab.runs.experiment import run_experiment

REQUIRED_TIMING = (
    "build_s",
    "first_epoch_s",
    "epoch_s",
    "step_ms_median",
    "step_ms_p90",
    "samples_per_s",
    "eval_s",
    "total_s",
)
SMOKE = ("trainer=smoke", "trainer.progress=false", "model.units=8")


def run(compose_cfg, tmp_path, *overrides):
    cfg = compose_cfg(*SMOKE, *overrides)
    return run_experiment(cfg, tmp_path, list(overrides))


def test_a_run_writes_complete_results_and_history(compose_cfg, tmp_path):
    # smoke's caps off: three short epochs of six steps
    results = run(
        compose_cfg,
        tmp_path,
        "model=gru",
        "trainer.smoke=false",
        "trainer.epochs=3",
        "trainer.steps_per_epoch=6",
    )
    assert results["status"] == "ok", results["error"]
    on_disk = json.loads((tmp_path / "results.json").read_text())
    assert on_disk["status"] == "ok" and on_disk["overrides"][0] == "model=gru"
    assert on_disk["config"]["model"]["cell"] == "gru"
    timing = on_disk["timing"]
    for key in REQUIRED_TIMING:
        assert timing[key] is not None, key
    assert len(timing["epoch_s"]) == 3 and timing["warmup"].startswith("epoch 1 and the first")
    assert timing["steady_steps"] == 2 * 5  # epochs 2 and 3 of 6 steps, less their first
    assert timing["epoch_first_step_ms"] > 0
    assert timing["step_ms_iqr"] >= 0 and timing["measured_by"] == "this process"
    assert timing["first_epoch_s"] > timing["epoch_s"][1]  # tracing is in epoch 1
    metrics = on_disk["metrics"]
    for key in ("train_loss", "val_loss", "train_accuracy", "val_accuracy", "test_accuracy"):
        assert 0.0 <= metrics[key] < 10.0, key
    assert on_disk["memory"]["peak_rss_mb"] > 50
    assert on_disk["params"] > 0
    assert on_disk["cudnn"]["eligible"] is True and on_disk["cudnn"]["gpu_present"] is False
    for key in ("python", "tensorflow", "keras", "hydra", "seqlab", "cpu"):
        assert on_disk["env"][key], key
    assert on_disk["device"]["used"] == "cpu"
    with open(tmp_path / "history.csv") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3]
    assert {"loss", "val_loss", "accuracy", "val_accuracy", "epoch_s"} <= set(rows[0])


def test_single_epoch_excludes_warmup_steps(compose_cfg, tmp_path):
    results = run(
        compose_cfg,
        tmp_path,
        "trainer.smoke=false",
        "trainer.epochs=1",
        "trainer.steps_per_epoch=14",
        "trainer.warmup_steps=3",
    )
    assert results["timing"]["steady_steps"] == 11
    assert results["timing"]["warmup"] == "the first 3 step(s)"
    assert results["timing"]["step_ms_median"] is not None


def test_too_few_steady_steps_give_no_percentiles_and_say_why(compose_cfg, tmp_path):
    results = run(compose_cfg, tmp_path)  # smoke: 2 epochs of 3 steps, 3 steady ones
    timing = results["timing"]
    assert timing["steady_steps"] == 2 and timing["step_ms_median"] is None
    assert timing["step_ms_p90"] is None and timing["samples_per_s"] is None
    assert "only 2 steady-state step(s)" in timing["no_percentiles"]


def test_regression_task_uses_mse(compose_cfg, tmp_path):
    # A test split of one batch, smaller than smoke's test_steps=2: the steps asked for
    # are capped at what the split holds, so Keras never runs out of data (and says so).
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        results = run(
            compose_cfg,
            tmp_path,
            "dataset=adding",
            "dataset.length=12",
            "dataset.n_train=300",
            "dataset.n_test=10",
            "model.units=8",
        )
    assert results["status"] == "ok", results["error"]
    assert not [w for w in caught if "ran out of data" in str(w.message)]
    metrics = results["metrics"]
    assert metrics["metric"] == "mse" and "val_accuracy" not in metrics
    assert metrics["val_mse"] == pytest.approx(metrics["val_loss"], rel=1e-5)


@pytest.mark.e2e  # a whole training run: kept out of the fast tier
def test_same_seed_same_metrics(compose_cfg, tmp_path):
    overrides = ("model=lstm", "model.dropout=0.3", "trainer.epochs=2")
    first = run(compose_cfg, tmp_path / "a", *overrides)["metrics"]
    second = run(compose_cfg, tmp_path / "b", *overrides)["metrics"]
    assert first == second
    other = run(compose_cfg, tmp_path / "c", *overrides, "trainer.seed=7")["metrics"]
    assert other != first


@pytest.mark.e2e  # the preset toy_masked_lstm runs too; kept out of the fast tier
def test_masked_toy_sequences_train(compose_cfg, tmp_path):
    results = run(
        compose_cfg,
        tmp_path,
        "+experiment=toy_masked_lstm",
        "dataset.n_train=256",
        "dataset.n_test=64",
        "trainer.steps_per_epoch=3",
        "trainer.epochs=2",
    )
    assert results["status"] == "ok", results["error"]
    assert results["cudnn"]["eligible"]  # post-padded masks are right-padded


def test_a_failing_run_still_writes_its_record(compose_cfg, tmp_path):
    results = run(compose_cfg, tmp_path, "dataset=imdb")  # no file, no network
    assert results["status"] == "failed" and results["error_type"] == "DataError"
    on_disk = json.loads((tmp_path / "results.json").read_text())
    assert on_disk["status"] == "failed" and "imdb.npz" in on_disk["error"]
    assert on_disk["timing"]["total_s"] > 0


def test_nan_loss_stops_the_run_and_says_where(compose_cfg, tmp_path):
    results = run(
        compose_cfg,
        tmp_path,
        "dataset=adding",
        "dataset.length=6",
        "dataset.n_train=200",
        "trainer.lr=1e30",
        "trainer.optimizer=sgd",
        "model.activation=linear",
        "model.cell=simple_rnn",
    )
    assert results["status"] == "failed"
    assert "NaN at epoch 1, step" in results["error"]
    assert (tmp_path / "history.csv").exists()


@pytest.mark.e2e  # a whole training run: kept out of the fast tier
@pytest.mark.parametrize("on", [True, False])
def test_jit_compile_evaluate_test_and_tensorboard_are_applied_and_recorded(
    compose_cfg, tmp_path, on
):
    flags = [f"trainer.jit_compile={str(on).lower()}", f"trainer.evaluate_test={not on}"]
    results = run(compose_cfg, tmp_path, *flags, f"trainer.tensorboard={on}")
    assert results["status"] == "ok", results["error"]
    assert results["settings"]["jit_compile"] is on
    # evaluate_test=false (with on) skips the test split
    assert any(key.startswith("test_") for key in results["metrics"]) is not on
    assert (results["timing"]["eval_s"] is None) is on
    events = list((tmp_path / "tensorboard").rglob("events.out.tfevents.*"))
    assert bool(events) is on and all(e.stat().st_size > 0 for e in events)
    assert (results["files"].get("tensorboard") == "tensorboard") is on
