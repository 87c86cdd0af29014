"""A sweep's table from results.json files: swept keys, the speed-up column, sorting."""

from __future__ import annotations

import csv
import json

import pytest

from seqlab.sweeps.summary import write_summary
from seqlab.sweeps.table import table


def write_job(sweep, job, overrides, step_ms, val=0.5, status="ok"):
    folder = sweep / str(job)
    folder.mkdir(parents=True)
    record = {
        "status": status,
        "overrides": overrides,
        "metrics": {"metric": "accuracy", "val_accuracy": val},
        "timing": {"step_ms_median": step_ms},
        "cudnn": {"eligible": False, "kernel": "generic"},
    }
    (folder / "results.json").write_text(json.dumps(record))


@pytest.fixture
def impl_sweep(tmp_path):
    """2 cells x 2 implementations, with known step times."""
    sweep = tmp_path / "sweep"
    times = {("lstm", "layer"): 50.0, ("lstm", "cell_loop"): 100.0}
    times |= {("gru", "layer"): 30.0, ("gru", "cell_loop"): 90.0}
    for job, ((model, impl), ms) in enumerate(times.items()):
        write_job(sweep, job, [f"model={model}", f"impl={impl}", "trainer=smoke"], ms)
    return sweep


@pytest.mark.parametrize("baseline", ["impl=cell_loop", "impl:cell_loop"])
def test_speedup_is_the_baselines_step_time_over_the_jobs_with_the_other_keys_equal(
    impl_sweep, tmp_path, baseline
):
    _, header, cells = write_summary([impl_sweep], tmp_path, baseline=baseline, chart=False)
    assert header[:3] == ["job", "model", "impl"]  # trainer=smoke is not swept
    speedup = {(c[1], c[2]): c[header.index("speedup")] for c in cells}
    assert speedup[("lstm", "layer")] == pytest.approx(2.0)
    assert speedup[("gru", "layer")] == pytest.approx(3.0)
    assert speedup[("lstm", "cell_loop")] == pytest.approx(1.0)
    with open(tmp_path / "summary.csv") as f:
        written = {(r["model"], r["impl"]): r["speedup"] for r in csv.DictReader(f)}
    assert float(written[("gru", "layer")]) == pytest.approx(3.0)


def test_a_job_without_its_baseline_or_a_failed_one_has_no_speedup(impl_sweep):
    write_job(impl_sweep, 4, ["model=simple_rnn", "impl=layer", "trainer=smoke"], 10.0)
    write_job(impl_sweep, 5, ["model=gru", "impl=manual", "trainer=smoke"], None, status="failed")
    from seqlab.sweeps.rows import collect

    rows = collect([impl_sweep])
    header, cells = table(rows, "impl=cell_loop")
    by_job = {c[0]: c[header.index("speedup")] for c in cells}
    assert by_job["4"] is None and by_job["5"] is None and by_job["1"] == pytest.approx(1.0)
