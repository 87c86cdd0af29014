"""The real command line: help speed, device errors, a small sweep, user presets."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from .conftest import run_cli

pytestmark = pytest.mark.e2e


def test_help_does_not_import_tensorflow(tmp_path):
    code = (
        "import sys; sys.argv = ['seqlab', '--help']\n"
        "from seqlab.cli.main import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('TF_IMPORTED' if 'tensorflow' in sys.modules else 'TF_NOT_IMPORTED')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert "TF_NOT_IMPORTED" in out.stdout
    assert "impl: layer, cell_loop, manual, unrolled" in out.stdout
    # The user's groups only, and seqlab's words rather than Hydra's boilerplate.
    assert "schema" not in out.stdout and "dataset_defaults" not in out.stdout
    assert "Powered by Hydra" not in out.stdout and out.stdout.startswith("seqlab")


def test_device_gpu_without_a_gpu_stops_before_loading_data(tmp_path):
    # imdb without a file would fail at data loading; the device error must come first.
    result = run_cli("device=gpu", "dataset=imdb", cwd=tmp_path, env={"CUDA_VISIBLE_DEVICES": "-1"})
    assert result.returncode == 2
    assert "device=gpu, but TensorFlow sees no GPU" in result.stderr
    assert "imdb.npz" not in result.stderr and "Traceback" not in result.stderr


def test_a_user_preset_from_config_dir(tmp_path):
    presets = tmp_path / "my_presets" / "experiment"
    presets.mkdir(parents=True)
    (presets / "tiny_gru.yaml").write_text(
        "# @package _global_\n"
        "defaults:\n  - override /model: gru\n  - override /trainer: smoke\n  - _self_\n"
        "model:\n  units: 5\ntrainer:\n  progress: false\n"
    )
    result = run_cli(
        "--config-dir",
        str(tmp_path / "my_presets"),
        "+experiment=tiny_gru",
        "hydra.run.dir=run",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    config = json.loads((tmp_path / "run" / "results.json").read_text())["config"]
    assert config["model"]["cell"] == "gru" and config["model"]["units"] == 5
