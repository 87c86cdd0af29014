"""Every preset in conf/experiment runs with trainer=smoke on small files the test writes."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from seqlab.config.store import conf_dir
from seqlab.runs.experiment import run_experiment

from .conftest import filtered_venv
from .keras_fixtures import write_fashion_dir, write_imdb_npz, write_mnist_npz

pytestmark = pytest.mark.e2e

PRESETS = sorted(p.stem for p in (conf_dir() / "experiment").glob("*.yaml"))
SEED_ROWS = {
    "imdb_simple_rnn_manual",
    "imdb_simple_rnn_unrolled",
    "imdb_lstm_manual",
    "imdb_gru_manual",
    "imdb_simple_rnn_state",
    "mnist_lstm_rows",
    "mnist_bilstm_rows",
    "toy_masked_lstm",
    "mnist_lstm_cudnn_vs_cell",
    "fashion_autoencoder",
}


def test_every_seed_row_has_a_preset():
    assert set(PRESETS) >= SEED_ROWS


def test_every_preset_smoke_checks_with_the_ci_recipe_and_no_optuna(tmp_path):
    """The README's CI recipe: `seqlab -m '+experiment=glob(*)' trainer=smoke`, offline,
    the data files in $KERAS_HOME/datasets; here in a venv without the Optuna plugin, so
    the preset that names it composes (it runs as one plain job) and, run as a sweep, says
    which extra to install."""
    cache = Path(os.environ["KERAS_HOME"]) / "datasets"
    cache.mkdir(parents=True, exist_ok=True)
    write_imdb_npz(cache / "imdb.npz", n_train=400, n_test=260)  # batch 128, drop_remainder
    write_mnist_npz(cache / "mnist.npz", n_train=200, n_test=130)
    write_fashion_dir(cache / "fashion-mnist", n_train=600, n_test=120)  # batch 512
    python = filtered_venv(tmp_path, (), plugins_left_out=("hydra_optuna_sweeper",))
    done = subprocess.run(
        [python, "-m", "seqlab", "-m", "+experiment=glob(*)", "trainer=smoke", "hydra.sweep.dir=s"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    assert f"{len(PRESETS)} ok, 0 failed" in done.stdout
    plan = json.loads((tmp_path / "s" / "sweep.json").read_text())["jobs"]
    for job in plan:
        preset = job["overrides"][0].split("=", 1)[1]
        record = json.loads((tmp_path / "s" / job["folder"] / "results.json").read_text())
        assert record["status"] == "ok", (preset, record["error"])
        # Smoke wins over the preset: at most 3 optimizer updates per epoch.
        settings = record["settings"]
        updates = settings.get("stateful", {}).get("optimizer_updates_per_epoch")
        assert (updates or settings["steps_per_epoch"]) <= 3, preset
        assert record["timing"]["steady_steps"] >= 1 and min(record["timing"]["epoch_s"]) > 0
        if record["device"]["requested"] == "gpu":  # on this CPU machine: said, not hidden
            assert "smoke run ran on the cpu" in record["device"]["note"], preset
    sweep = subprocess.run(
        [python, "-m", "seqlab", "-m", "+experiment=search_digits", "hydra.sweep.dir=o"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert sweep.returncode == 2 and "seqlab[optuna]" in sweep.stderr
    assert "Traceback" not in sweep.stderr
    assert not (tmp_path / "o").exists()  # refused before its folder (a sweep.json of no jobs)


def test_autoencoder_presets_write_reconstruction_grids(compose_cfg, tmp_path):
    from PIL import Image

    overrides = ["+experiment=digits_seq_autoencoder", "trainer=smoke", "trainer.progress=false"]
    results = run_experiment(compose_cfg(*overrides), tmp_path, overrides)
    assert results["status"] == "ok", results["error"]
    grids = results["files"]["reconstructions"]
    assert len(grids) == results["settings"]["epochs"] == 2  # one per epoch; smoke runs 2
    with Image.open(tmp_path / grids[-1]) as image:
        # two 10x10 grids of 8x8 digits scaled 4x, 4 pixels apart
        assert image.mode == "L" and image.size == (2 * 320 + 4, 320)
    assert results["metrics"]["metric"] == "pixel_mse"
