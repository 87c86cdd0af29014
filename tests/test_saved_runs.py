"""Saved models: seqlab-predict on the CPU, weights across implementations, resuming runs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from seqlab.cli.predict import PREDICTIONS_FILE, evaluate_run
from seqlab.cli.predict import main as predict_main
from seqlab.runs.experiment import run_experiment

from .conftest import run_cli


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    from hydra import compose, initialize_config_dir

    from seqlab.config.store import conf_dir

    run_dir = tmp_path_factory.mktemp("run")
    overrides = ["trainer.epochs=2", "trainer.progress=false", "dataset.limit=400"]
    with initialize_config_dir(str(conf_dir()), version_base="1.3"):
        cfg = compose("config", overrides=overrides)
    results = run_experiment(cfg, run_dir, overrides)
    assert results["status"] == "ok", results["error"]
    return run_dir, results


def test_predict_reproduces_the_recorded_test_metric_on_the_cpu(trained_run):
    run_dir, results = trained_run
    out = evaluate_run(run_dir, device="cpu")
    assert out["device"] == "cpu" and out["split"] == "test"
    assert out["value"] == pytest.approx(results["metrics"]["test_accuracy"], abs=1e-6)
    with np.load(run_dir / PREDICTIONS_FILE) as saved:
        assert saved["logits"].shape == (results["data"]["sizes"]["test"], 10)
        accuracy = (saved["logits"].argmax(-1) == saved["targets"]).mean()
    assert accuracy == pytest.approx(out["value"], abs=1e-6)


@pytest.mark.parametrize("impl", ["cell_loop", "manual"])
def test_weights_trained_with_layer_give_the_same_predictions_in_other_impls(trained_run, impl):
    run_dir, _ = trained_run
    evaluate_run(run_dir)
    with np.load(run_dir / PREDICTIONS_FILE) as saved:
        reference = saved["logits"]
    out = evaluate_run(run_dir, impl=impl)
    assert out["impl"] == impl
    with np.load(run_dir / PREDICTIONS_FILE) as saved:
        np.testing.assert_allclose(saved["logits"], reference, atol=1e-5)


def test_predict_on_a_folder_that_is_not_a_run_says_so(tmp_path, capsys):
    assert predict_main([str(tmp_path)]) == 2
    assert "is not a finished seqlab run" in capsys.readouterr().err


@pytest.mark.e2e
def test_a_killed_run_resumes_from_its_last_finished_epoch(tmp_path):
    args = ["trainer.epochs=8", "trainer.progress=false", "dataset.limit=600", "hydra.run.dir=run"]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    process = subprocess.Popen(
        [sys.executable, "-m", "seqlab", *args],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    metadata = tmp_path / "run" / "backup" / "training_metadata.json"
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and process.poll() is None:
            if metadata.exists() and json.loads(metadata.read_text() or "{}").get("epoch", 0) >= 2:
                break
            time.sleep(0.05)
    except ValueError:  # caught the file mid-write: the next poll reads it whole
        pass
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    killed_after = json.loads(metadata.read_text())["epoch"]
    assert 2 <= killed_after < 8, "the run should have been killed mid-training"

    result = run_cli(*args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    assert results["status"] == "ok"
    assert results["timing"]["resumed"] is True
    assert results["timing"]["resumed_from_epoch"] == killed_after
    assert len(results["timing"]["epoch_s"]) == 8
    history = (tmp_path / "run" / "history.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in history[1:]] == [str(e) for e in range(1, 9)]
    assert not (tmp_path / "run" / "backup").exists()  # Keras deletes it when done
