"""A sweep's plan: every job composed, placed and checked before the first one runs, for any
`hydra.sweep.subdir` pattern; the plan is what Hydra then runs."""

from __future__ import annotations

import csv
import json

import pytest

from .conftest import run_cli

pytestmark = pytest.mark.e2e

QUICK = ["trainer=smoke", "trainer.progress=false", "model.units=4", "model.layers=1"]


def _rows(sweep):
    with open(sweep / "summary.csv") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize(
    ("pattern", "folders"),
    [
        ("${model.cell}", {"lstm", "gru"}),
        (
            "${hydra.job.override_dirname}",
            {
                "model.layers=1,model.units=4,model=gru,trainer.progress=False,trainer=smoke",
                "model.layers=1,model.units=4,model=lstm,trainer.progress=False,trainer=smoke",
            },
        ),
    ],
)
def test_any_subdir_pattern_is_planned_counted_and_guarded(tmp_path, pattern, folders):
    args = ["-m", "model=lstm,gru", *QUICK, f"hydra.sweep.subdir={pattern}", "hydra.sweep.dir=s"]
    done = run_cli(*args, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    sweep = tmp_path / "s"
    assert "2 ok, 0 failed" in done.stdout and "not run" not in done.stdout
    rows = _rows(sweep)
    assert {r["job"] for r in rows} == folders and len(rows) == 2
    # The plan is what Hydra ran: each planned folder holds a run of the planned overrides.
    plan = json.loads((sweep / "sweep.json").read_text())["jobs"]
    for job in plan:
        record = json.loads((sweep / job["folder"] / "results.json").read_text())
        assert record["overrides"] == job["overrides"]
    before = (sweep / "sweep.json").read_text()
    again = run_cli(*args, "trainer.lr=0.01", cwd=tmp_path)  # another experiment, same folders
    assert again.returncode == 2, again.stderr[-3000:]
    # Same folders, other config; or (folders named by the overrides) runs not planned.
    said = "trainer.lr: 0.003 -> 0.01" if "model.cell" in pattern else "does not plan"
    assert said in again.stderr and "Traceback" not in again.stderr
    assert (sweep / "sweep.json").read_text() == before  # refused before anything was written
    skipped = run_cli(*args, cwd=tmp_path)  # the same sweep again: both finished, skipped
    assert skipped.returncode == 0 and skipped.stdout.count("skipped") == 2


def test_an_invalid_job_stops_the_sweep_before_its_folder_exists(tmp_path):
    quick = [q for q in QUICK if not q.startswith("model.units")]
    done = run_cli("-m", "model.units=8,0", *quick, "hydra.sweep.dir=s", cwd=tmp_path)
    assert done.returncode == 2, done.stderr[-3000:]
    assert "Job 1 of the sweep (model.units=0" in done.stderr
    assert "model.units=0 is not allowed" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "s").exists()


def test_an_unknown_option_in_one_job_stops_the_sweep_with_exit_2(tmp_path):
    done = run_cli("-m", "model=lstm,transformer", *QUICK, "hydra.sweep.dir=s", cwd=tmp_path)
    assert done.returncode == 2, done.stderr[-3000:]
    assert "model=transformer" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "s").exists()


def test_a_pattern_that_puts_two_jobs_in_one_folder_is_refused(tmp_path):
    args = ["-m", "model=lstm,gru", "trainer.lr=0.01,0.02", *QUICK, "hydra.sweep.dir=s"]
    done = run_cli(*args, "hydra.sweep.subdir=${model.cell}", cwd=tmp_path)
    assert done.returncode == 2, done.stderr[-3000:]
    assert "puts two jobs in the folder lstm" in done.stderr
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["hydra.sweep.subdir=${now:%H%M%S%f}_${hydra.job.num}"],  # each job resolves it again
        ["repeats=auto"],  # no baseline: checked before the folder, like a plan
        ["repeats=auto", "report.baseline=model:lstm", "hydra.sweeper.max_rounds=1000000"],
        ["repeats=auto", "report.baseline=model:lstm", "model.dropout=2.0"],
    ],
)
def test_a_sweep_refused_at_its_start_leaves_no_folder(tmp_path, args):
    done = run_cli("-m", "model=lstm,gru", *QUICK, *args, "hydra.sweep.dir=s", cwd=tmp_path)
    assert done.returncode == 2, done.stderr[-3000:]
    assert "Traceback" not in done.stderr and "seqlab: " in done.stderr
    assert not (tmp_path / "s").exists()


def test_a_leftover_plan_below_the_sweep_folder_is_refused_before_any_job(tmp_path):
    old = tmp_path / "s" / "old"
    old.mkdir(parents=True)
    (old / "sweep.json").write_text(json.dumps({"jobs": [{"number": 0, "folder": "x"}]}))
    done = run_cli("-m", "model=lstm,gru", *QUICK, "hydra.sweep.dir=s", cwd=tmp_path)
    assert done.returncode == 2, done.stderr[-3000:]
    assert "s/old holds another sweep's plan" in done.stderr
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == ["old"]
