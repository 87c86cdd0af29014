"""Sweeps end to end: summary files, seqlab-report, skipping finished jobs, failures, launchers."""

from __future__ import annotations

import csv
import json
import signal
import time

import pytest
from omegaconf import OmegaConf
from PIL import Image

from seqlab.cli.report import main as report_main

from .conftest import run_cli, start_cli

pytestmark = pytest.mark.e2e

SMOKE = ["trainer=smoke", "trainer.progress=false"]


def _rows(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def _results(sweep, job):
    return json.loads((sweep / str(job) / "results.json").read_text())


@pytest.fixture(scope="module")
def finished_sweep(tmp_path_factory):
    """A real 3-job sweep through the CLI: `seqlab -m model=simple_rnn,lstm,gru trainer=smoke`."""
    cwd = tmp_path_factory.mktemp("sweep")
    args = ["-m", "model=simple_rnn,lstm,gru", *SMOKE, "hydra.sweep.dir=sweep"]
    result = run_cli(*args, cwd=cwd)
    return cwd, cwd / "sweep", args, result


def test_sweep_writes_summary_csv_md_png_and_prints_the_table(finished_sweep):
    _, sweep, _, result = finished_sweep
    assert result.returncode == 0, result.stderr[-2000:]
    rows = _rows(sweep / "summary.csv")
    assert [r["model"] for r in rows] == ["simple_rnn", "lstm", "gru"]
    assert [r["status"] for r in rows] == ["ok"] * 3
    # Smoke runs time their few steps, too few for a step time (no_percentiles says so).
    assert all(r["step_ms_median"] == "" and float(r["first_epoch_s"]) > 0 for r in rows)
    assert {"val_accuracy", "test_accuracy", "first_epoch_s", "params", "peak_rss_mb"} <= set(
        rows[0]
    )
    markdown = (sweep / "summary.md").read_text().splitlines()
    # The table, then the notes under it (here: smoke runs are no measurement).
    assert markdown[0].startswith("| job | model |") and markdown[2 + 3] == ""
    assert "smoke: 3 of 3 jobs" in "\n".join(markdown[2 + 3 :])
    with Image.open(sweep / "summary.png") as chart:
        assert chart.width > 600 and chart.height > 200
    assert "seqlab sweep" in result.stdout and "simple_rnn" in result.stdout
    assert "3 ok, 0 failed" in result.stdout
    for job in range(3):  # per-run learning curves beside history.csv
        assert (sweep / str(job) / "curves.png").stat().st_size > 0
        assert (sweep / str(job) / "model.keras").stat().st_size > 0


def test_seqlab_report_rebuilds_the_same_csv(finished_sweep, tmp_path):
    _, sweep, _, _ = finished_sweep
    assert report_main([str(sweep), "--out", str(tmp_path)]) == 0
    assert (tmp_path / "summary.csv").read_text() == (sweep / "summary.csv").read_text()
    assert (tmp_path / "summary.png").exists()


def test_seqlab_report_merges_sorts_and_picks_columns(finished_sweep, tmp_path):
    import shutil

    _, sweep, _, _ = finished_sweep
    copy = shutil.copytree(sweep, tmp_path / "copy")  # a second folder (the same twice is refused)
    merge = [str(sweep), str(copy), "--out", str(tmp_path), "--sort", "params"]
    code = report_main([*merge, "--columns", "status", "params", "--no-chart"])
    assert code == 0
    rows = _rows(tmp_path / "summary.csv")
    assert len(rows) == 6 and list(rows[0]) == ["sweep", "job", "model", "status", "params"]
    assert {r["sweep"] for r in rows} == {str(sweep), str(copy)}
    params = [int(r["params"]) for r in rows]
    assert params == sorted(params) and not (tmp_path / "summary.png").exists()


def test_seqlab_report_rejects_unknown_columns_and_empty_dirs(finished_sweep, tmp_path, capsys):
    _, sweep, _, _ = finished_sweep
    assert report_main([str(sweep), "--out", str(tmp_path), "--columns", "speed"]) == 2
    assert "Unknown summary column(s) speed" in capsys.readouterr().err
    assert report_main([str(tmp_path)]) == 2
    assert "no results.json" in capsys.readouterr().err


def test_rerunning_a_finished_sweep_skips_its_jobs(finished_sweep):
    cwd, sweep, args, _ = finished_sweep
    before = {job: (sweep / str(job) / "results.json").stat().st_mtime_ns for job in range(3)}
    result = run_cli(*args, cwd=cwd)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.count("seqlab: skipped") == 3
    after = {job: (sweep / str(job) / "results.json").stat().st_mtime_ns for job in range(3)}
    assert after == before
    assert len(_rows(sweep / "summary.csv")) == 3


def test_skip_finished_false_runs_a_finished_job_again(tmp_path):
    args = ["-m", "model=simple_rnn", *SMOKE, "hydra.sweep.dir=sweep"]
    assert run_cli(*args, cwd=tmp_path).returncode == 0
    before = (tmp_path / "sweep" / "0" / "results.json").stat().st_mtime_ns
    result = run_cli(*args, "skip_finished=false", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "skipped" not in result.stdout
    assert (tmp_path / "sweep" / "0" / "results.json").stat().st_mtime_ns > before


def test_a_failing_job_does_not_stop_the_sweep(tmp_path):
    # dataset.limit=1 leaves no validation example: only its data can tell, so the job
    # fails when it runs; the other job must still run.
    result = run_cli("-m", "dataset.limit=300,1", *SMOKE, "hydra.sweep.dir=sweep", cwd=tmp_path)
    assert result.returncode == 1
    sweep = tmp_path / "sweep"
    assert _results(sweep, 0)["status"] == "ok"
    failed = _results(sweep, 1)
    assert failed["status"] == "failed" and "dataset.limit=1" in failed["error"]
    rows = _rows(sweep / "summary.csv")
    assert [r["status"] for r in rows] == ["ok", "failed"]
    assert "dataset.limit=1" in rows[1]["error"]
    assert (sweep / "summary.png").exists()
    assert "1 ok, 1 failed" in result.stdout


@pytest.mark.parametrize("launcher", ["joblib", "submitit_local"])
def test_launchers_give_the_same_summary_files(launcher, tmp_path):
    extra = ["hydra.launcher.n_jobs=2"] if launcher == "joblib" else []
    result = run_cli(
        "-m",
        "model=simple_rnn,gru",
        *SMOKE,
        f"hydra/launcher={launcher}",
        *extra,
        "hydra.sweep.dir=sweep",
        cwd=tmp_path,
        env={"OMP_NUM_THREADS": "1"} if launcher == "joblib" else None,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    sweep = tmp_path / "sweep"
    rows = _rows(sweep / "summary.csv")
    assert [(r["model"], r["status"]) for r in rows] == [("simple_rnn", "ok"), ("gru", "ok")]
    assert list(rows[0])[:6] == ["job", "model", "status", "backend", "precision", "val_accuracy"]
    assert (sweep / "summary.md").exists() and (sweep / "summary.png").exists()
    if launcher == "submitit_local":  # one process per job
        assert _results(sweep, 0)["env"]["pid"] != _results(sweep, 1)["env"]["pid"]


def test_optuna_search_preset_optimises_the_validation_metric(tmp_path):
    result = run_cli(
        "-m",
        "+experiment=search_digits",
        *SMOKE,
        "hydra.sweeper.n_trials=2",
        "hydra.sweep.dir=sweep",
        cwd=tmp_path,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    sweep = tmp_path / "sweep"
    best = OmegaConf.load(sweep / "optimization_results.yaml")
    values = [_results(sweep, job)["metrics"]["val_accuracy"] for job in (0, 1)]
    assert best.best_value == pytest.approx(max(values))
    assert len(_rows(sweep / "summary.csv")) == 2


def test_sigterm_to_a_joblib_sweeps_driver_stops_its_jobs_and_leaves_a_summary(tmp_path):
    # Before, the driver died silently and joblib's workers trained on without it.
    process = start_cli(
        "-m",
        "model=lstm,gru",
        "trainer.epochs=400",
        "trainer.progress=false",
        "hydra/launcher=joblib",
        "hydra.launcher.n_jobs=2",
        "hydra.sweep.dir=sweep",
        cwd=tmp_path,
    )
    sweep = tmp_path / "sweep"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and process.poll() is None:
        records = [json.loads(p.read_text()) for p in sweep.glob("*/results.json")]
        if len(records) == 2 and all(r["epochs_finished"] >= 2 for r in records):
            break
        time.sleep(0.5)
    assert process.poll() is None, process.communicate()[1][-3000:]
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 143, (out + err)[-3000:]
    assert "Traceback" not in err + out
    assert [r["status"] for r in _rows(sweep / "summary.csv")] == ["interrupted"] * 2
    time.sleep(3)  # no job goes on training without its driver
    assert [_results(sweep, job)["status"] for job in (0, 1)] == ["interrupted"] * 2


def test_sigkill_to_a_joblib_sweeps_driver_leaves_no_job_training(tmp_path):
    """No handler runs on SIGKILL: its loky workers trained on for 20 minutes (about
    800 MB each). Each job watches its driver and stops, recording the interruption."""
    from seqlab.sweeps.driver import _alive

    process = start_cli(
        "-m",
        "model=lstm,gru",
        "trainer.epochs=400",
        "trainer.progress=false",
        "hydra/launcher=joblib",
        "hydra.launcher.n_jobs=2",
        "hydra.sweep.dir=sweep",
        cwd=tmp_path,
    )
    sweep = tmp_path / "sweep"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and process.poll() is None:
        records = [json.loads(p.read_text()) for p in sweep.glob("*/results.json")]
        if len(records) == 2 and all(r["epochs_finished"] >= 1 for r in records):
            break
        time.sleep(0.5)
    assert process.poll() is None, process.communicate()[1][-3000:]
    pids = [_results(sweep, job)["pid"] for job in (0, 1)]
    process.kill()
    process.wait(timeout=60)  # its workers still hold its output pipes: no communicate()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
        time.sleep(0.5)
    assert not any(_alive(pid) for pid in pids), "a job trains on without its driver"
    assert [_results(sweep, job)["status"] for job in (0, 1)] == ["interrupted"] * 2
