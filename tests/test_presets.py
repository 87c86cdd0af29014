"""Every preset in conf/experiment runs with trainer=smoke on small files the test writes."""

from __future__ import annotations

import pytest

from seqlab.config.store import conf_dir
from seqlab.runs.experiment import run_experiment

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


@pytest.mark.parametrize("preset", PRESETS)
def test_preset_runs_with_smoke_trainer(preset, compose_cfg, tmp_path):
    # Enough examples for the presets' batch sizes (128 with drop_remainder for IMDB).
    files = {
        "imdb": write_imdb_npz(tmp_path / "imdb.npz", n_train=400, n_test=260),
        "mnist": write_mnist_npz(tmp_path / "mnist.npz", n_train=200, n_test=130),
        # batch 512 in the fashion preset: enough images for the smoke steps
        "fashion_mnist": write_fashion_dir(tmp_path / "fashion", n_train=600, n_test=120),
    }
    cfg = compose_cfg(f"+experiment={preset}", "trainer=smoke", "trainer.progress=false")
    overrides = [f"+experiment={preset}", "trainer=smoke", "trainer.progress=false"]
    if cfg.dataset.name in files:
        overrides.append(f"dataset.path={files[cfg.dataset.name]}")
    if cfg.dataset.name == "imdb":
        overrides.append("dataset.maxlen=12")  # keeps tracing of the manual loop short
    if cfg.dataset.name in ("random_tokens", "toy_sequences", "random_features"):
        overrides += ["dataset.n_train=300", "dataset.n_test=64"]
    if cfg.dataset.name in ("random_tokens", "random_features"):
        overrides.append("dataset.length=12")  # the shape, not the length, is the preset's
    if cfg.device.name == "gpu":
        overrides.append("device=auto")  # CI has no GPU; the preset's data and model still run
    results = run_experiment(compose_cfg(*overrides), tmp_path / "run", overrides)
    assert results["status"] == "ok", results["error"]
    # A smoke run has too few steps for a step time; its steps were timed all the same.
    assert results["timing"]["steady_steps"] >= 1 and min(results["timing"]["epoch_s"]) > 0
    updates = results["settings"]["steps_per_epoch"]
    if "stateful" in results["settings"]:  # there a step is one chunk batch
        updates = results["settings"]["stateful"]["optimizer_updates_per_epoch"]
    assert updates <= 3  # smoke wins over the preset
    assert results["config"]["notes"] == dict(cfg.notes)


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
