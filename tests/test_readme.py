"""The README's examples work as written."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir

from seqlab.config.store import conf_dir
from seqlab.data import DATASETS
from seqlab.runs.experiment import run_experiment

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_the_two_commands_are_the_ones_ci_runs():
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text()
    test_command = re.search(r"```bash\n(python3 -m venv .*pytest)\n```", README).group(1)
    assert test_command in ci.splitlines()


@pytest.mark.e2e  # a whole training run: kept out of the fast tier
def test_the_readme_dataset_example_is_one_module_and_one_yaml(tmp_path, monkeypatch):
    module = re.search(r"```python\n# src/seqlab/data/loaders/sine.py\n(.*?)```", README, re.S)
    yaml = re.search(r"```yaml\n# conf/dataset/sine.yaml\n(.*?)```", README, re.S)
    monkeypatch.setattr(DATASETS, "_entries", dict(DATASETS._entries))
    # Dataclasses look their module up in sys.modules, so the snippet needs a real one.
    sine = types.ModuleType("readme_sine")
    monkeypatch.setitem(sys.modules, "readme_sine", sine)
    exec(compile(module.group(1), "README:sine.py", "exec"), sine.__dict__)
    (tmp_path / "conf" / "dataset").mkdir(parents=True)
    (tmp_path / "conf" / "dataset" / "sine.yaml").write_text(yaml.group(1))
    with initialize_config_dir(str(conf_dir()), version_base="1.3"):
        cfg = compose(
            "config",
            overrides=[
                f"hydra.searchpath=[file://{tmp_path / 'conf'}]",
                "dataset=sine",
                "trainer=smoke",
                "trainer.progress=false",
            ],
        )
    results = run_experiment(cfg, tmp_path / "run", [])
    assert results["status"] == "ok", results["error"]
    assert results["metrics"]["metric"] == "mse" and results["data"]["timesteps"] == 50
