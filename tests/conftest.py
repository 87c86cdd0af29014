"""Shared fixtures: composing configs in-process and running the real CLI in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir

from seqlab.config.store import conf_dir, register_schemas

register_schemas()
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@pytest.fixture(autouse=True)
def _isolated_keras_home(tmp_path_factory, monkeypatch):
    """No test may read or fill the user's Keras cache, nor reach the network."""
    home = tmp_path_factory.mktemp("keras_home")
    monkeypatch.setenv("KERAS_HOME", str(home))
    monkeypatch.setenv("SEQLAB_DATASETS_ORIGIN", "http://127.0.0.1:9/")


@pytest.fixture
def compose_cfg():
    """compose_cfg("model=gru", ...) -> the composed DictConfig, as the CLI would see it."""

    def _compose(*overrides: str):
        with initialize_config_dir(str(conf_dir()), version_base="1.3"):
            return compose("config", overrides=list(overrides))

    return _compose


def run_cli(*args: str, cwd: Path, env: dict | None = None, timeout: float = 600):
    """Run `python -m seqlab ARGS` in `cwd`; returns the CompletedProcess."""
    full_env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "seqlab", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def start_cli(*args: str, cwd: Path, env: dict | None = None) -> subprocess.Popen:
    """Start `python -m seqlab ARGS` in `cwd` without waiting; output is captured as text."""
    full_env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})}
    return subprocess.Popen(
        [sys.executable, "-m", "seqlab", *args],
        cwd=cwd,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(condition, timeout: float = 120.0, process: subprocess.Popen | None = None) -> bool:
    """Poll `condition()` until it is true; False on timeout or when `process` exits first."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return True
        except (OSError, ValueError):  # a file caught mid-replace, or not there yet
            pass
        if process is not None and process.poll() is not None:
            return False
        time.sleep(0.05)
    return False


def epochs_in_history(run_dir: Path) -> int:
    """Finished epochs as history.csv says (0 when it does not exist yet)."""
    path = Path(run_dir) / "history.csv"
    return max(0, len(path.read_text().splitlines()) - 1) if path.exists() else 0


def checkpointed(run_dir: Path) -> int:
    """The epoch of the newest complete checkpoint (0 when there is none)."""
    from seqlab.errors import FolderError
    from seqlab.records.checkpoints import Checkpoints

    try:
        checkpoint = Checkpoints(run_dir).latest()
    except FolderError:
        return 0
    return checkpoint.epoch if checkpoint else 0


def filtered_venv(
    tmp_path: Path, left_out: tuple[str, ...], plugins_left_out: tuple[str, ...] = ()
):
    """The python of a venv that sees every package of this one but those whose names
    start with `left_out` (and Hydra plugins named in `plugins_left_out`): a real absence
    for the import machinery, made of symbolic links in seconds."""
    import sysconfig

    site = Path(sysconfig.get_paths()["purelib"])
    seen = tmp_path / "site"
    seen.mkdir()
    for entry in site.iterdir():
        if entry.name.lower().startswith(tuple(n.lower() for n in left_out)):
            continue
        if entry.name == "hydra_plugins" and plugins_left_out:
            (seen / "hydra_plugins").mkdir()
            for plugin in entry.iterdir():
                if plugin.name not in plugins_left_out:
                    (seen / "hydra_plugins" / plugin.name).symlink_to(plugin)
            continue
        (seen / entry.name).symlink_to(entry)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    inside = next((venv / "lib").glob("python3*")) / "site-packages"
    # The folders that .pth files of the real site add (an editable install's source).
    added = [
        line
        for pth in site.glob("*.pth")
        for line in pth.read_text().splitlines()
        if line and not line.startswith(("import", "#")) and Path(line).is_dir()
    ]
    (inside / "seen.pth").write_text("\n".join([str(seen), *added]) + "\n")
    return venv / "bin" / "python"
