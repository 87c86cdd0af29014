"""A built wheel (not only an editable install) carries the configs and runs anywhere."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.e2e
def test_wheel_installs_into_a_fresh_venv_and_runs_from_another_directory(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(REPO)],
        check=True,
        timeout=600,
    )
    (wheel,) = dist.glob("seqlab-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", str(wheel)],
        check=True,
        timeout=600,
    )
    # The dependencies (TensorFlow is 570 MB) come from this environment, placed after
    # the new venv's own site-packages so that the wheel's seqlab is the one imported.
    new_site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(new_site, "deps_from_test_env.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    where = subprocess.run(
        [str(python), "-c", "import seqlab.config.store as c; print(c.conf_dir())"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout.strip()
    assert where.startswith(new_site), where  # the configs inside the installed wheel
    run = subprocess.run(
        [
            str(venv / "bin" / "seqlab"),
            "trainer=smoke",
            "trainer.progress=false",
            "hydra.run.dir=out",
        ],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.loads((elsewhere / "out" / "results.json").read_text())
    assert results["status"] == "ok" and results["config"]["dataset"]["name"] == "digits"


def test_nothing_generated_is_tracked_in_git():
    """Run output never lands in the repository (CI checks the clone it runs on)."""
    root = Path(__file__).resolve().parents[1]
    listed = subprocess.run(
        ["git", "ls-files"], cwd=root, capture_output=True, text=True, check=False
    )
    if listed.returncode != 0:
        pytest.skip("not a git checkout (an sdist)")
    generated = [
        path
        for path in listed.stdout.splitlines()
        if path.startswith(("mlruns/", "outputs/"))
        or (path.startswith("multirun/") and path != "multirun/README.md")
        or path.endswith((".keras", ".h5", "mlflow.db"))
    ]
    assert not generated, generated
