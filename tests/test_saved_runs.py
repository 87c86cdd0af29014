"""Saved models: seqlab-predict on the CPU, weights across implementations, its options."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from seqlab.cli.predict import PREDICTIONS_FILE, evaluate_run
from seqlab.cli.predict import main as predict_main
from seqlab.runs.experiment import run_experiment


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
    assert out["impl"] == impl and out["predictions"] == str(run_dir / f"predictions.{impl}.npz")
    with np.load(out["predictions"]) as saved:
        np.testing.assert_allclose(saved["logits"], reference, atol=1e-5)
    with np.load(run_dir / PREDICTIONS_FILE) as saved:  # the run's own were not overwritten
        np.testing.assert_allclose(saved["logits"], reference, atol=0)


def test_predict_on_a_folder_that_is_not_a_run_says_so(tmp_path, capsys):
    assert predict_main([str(tmp_path)]) == 2
    assert "is not a finished seqlab run" in capsys.readouterr().err


def test_predict_refuses_to_overwrite_another_variants_predictions(trained_run, tmp_path):
    from seqlab.errors import ConfigError

    run_dir, _ = trained_run
    target = tmp_path / "mine.npz"
    evaluate_run(run_dir, impl="manual", out=target)
    evaluate_run(run_dir, impl="manual", out=target)  # the same variant: fine
    with pytest.raises(ConfigError, match="already holds other predictions"):
        evaluate_run(run_dir, impl="cell_loop", out=target)


@pytest.mark.e2e
def test_predict_on_another_data_file_of_the_same_format(tmp_path):
    from .keras_fixtures import write_imdb_npz

    run_dir = tmp_path / "run"
    overrides = [
        "dataset=imdb",
        f"dataset.path={write_imdb_npz(tmp_path / 'a.npz', seed=1)}",
        "dataset.maxlen=10",
        "model.units=4",
        "trainer=smoke",
        "trainer.progress=false",
    ]
    from hydra import compose, initialize_config_dir

    from seqlab.config.store import conf_dir

    with initialize_config_dir(str(conf_dir()), version_base="1.3"):
        cfg = compose("config", overrides=overrides)
    assert run_experiment(cfg, run_dir, overrides)["status"] == "ok"
    other = write_imdb_npz(tmp_path / "b.npz", n_test=30, seed=7)
    out = evaluate_run(run_dir, data=other)
    assert out["recorded"] is None  # another file: nothing recorded to compare with
    with np.load(out["predictions"]) as saved:
        assert saved["logits"].shape == (30, 1) and str(saved["data"]) == str(other)
    assert out["predictions"] == str(run_dir / "predictions.b.npz")


def test_predict_errors_are_one_paragraph(trained_run, tmp_path, capsys):
    import shutil

    run_dir, _ = trained_run
    with pytest.raises(SystemExit):
        predict_main([str(run_dir), "--batch-size", "0"])
    assert "must be an integer >= 1" in capsys.readouterr().err
    broken = tmp_path / "broken"
    shutil.copytree(run_dir, broken)
    (broken / "model.keras").write_bytes(b"PK\x03\x04 not a model")
    assert predict_main([str(broken)]) == 2
    err = capsys.readouterr().err
    assert "could not be loaded as a Keras model" in err and "Traceback" not in err


@pytest.mark.e2e
def test_predict_says_when_the_run_scored_only_some_batches(tmp_path, capsys):
    from hydra import compose, initialize_config_dir

    from seqlab.config.store import conf_dir

    overrides = ["trainer=smoke", "trainer.progress=false", "model.units=4"]
    with initialize_config_dir(str(conf_dir()), version_base="1.3"):
        cfg = compose("config", overrides=overrides)
    assert run_experiment(cfg, tmp_path, overrides)["status"] == "ok"
    assert predict_main([str(tmp_path)]) == 0
    assert "on its first 2 batches only" in capsys.readouterr().out


@pytest.mark.e2e
@pytest.mark.parametrize("impl", ["cell_loop", "manual"])
def test_predict_loads_a_run_with_a_custom_cell(tmp_path, impl):
    from hydra import compose, initialize_config_dir

    from seqlab.config.store import conf_dir

    overrides = ["model=indrnn", f"impl={impl}", "trainer=smoke", "trainer.progress=false"]
    with initialize_config_dir(str(conf_dir()), version_base="1.3"):
        cfg = compose("config", overrides=overrides)
    results = run_experiment(cfg, tmp_path, overrides)
    assert results["status"] == "ok"
    # A fresh process, where nothing imported the cell's module before loading.
    code = f"import sys; from seqlab.cli.predict import main\nsys.exit(main([{str(tmp_path)!r}]))\n"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Could not locate class" not in proc.stderr
