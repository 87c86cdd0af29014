"""What the rows say only together: a busy machine, the same start, smoke runs."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest

from seqlab.reports.compare import BUSY_MEAN, BUSY_PEAK, derive, notes
from seqlab.reports.rows import collect

from .conftest import start_cli, wait_for
from .records import seqlab_record


def _job(sweep, number, overrides, start=None, load=None, host="h", smoke=False, step=10.0):
    folder = sweep / str(number)
    folder.mkdir(parents=True)
    record = seqlab_record(
        {
            "status": "ok",
            "overrides": overrides,
            "host": host,
            "config": {"trainer": {"smoke": smoke}},
            "metrics": {"metric": "accuracy", "val_accuracy": 0.5},
            "timing": {"step_ms_median": step},
            "start": start or {},
            "load": load or {},
        }
    )
    (folder / "results.json").write_text(json.dumps(record))


START = {"weights": "w1", "data": "d1", "data_order": "o1", "pipeline": "tf.data"}


def test_same_start_compares_weights_data_and_order_with_the_baseline(tmp_path):
    _job(tmp_path, 0, ["impl=cell_loop"], START)
    _job(tmp_path, 1, ["impl=layer"], START)
    _job(tmp_path, 2, ["impl=manual"], {**START, "weights": "w2"})
    _job(tmp_path, 3, ["impl=unrolled"], {**START, "data_order": "o2"})  # one pipeline
    rows = collect([tmp_path])
    derive(rows, "impl=cell_loop")
    assert [r["same_start"] for r in rows] == ["yes", "yes", "no: weights", "no: data order"]
    assert any("2: weights" in note for note in notes(rows))


def test_merged_sweeps_compare_each_start_with_the_baseline_of_its_own_folder(tmp_path):
    for name, weights in (("one", "w1"), ("two", "w2")):  # each folder alike inside
        _job(tmp_path / name, 0, ["impl=cell_loop"], {**START, "weights": weights})
        _job(tmp_path / name, 1, ["impl=layer"], {**START, "weights": weights})
    rows = collect([tmp_path / "one", tmp_path / "two"])
    derive(rows, "impl=cell_loop")
    assert [r["same_start"] for r in rows] == ["yes"] * 4


def test_backends_differ_only_in_their_pipelines_order_and_say_so(tmp_path):
    _job(tmp_path, 0, ["backend=tensorflow"], START)
    _job(tmp_path, 1, ["backend=jax"], {**START, "data_order": "o2", "pipeline": "numpy"})
    rows = collect([tmp_path])
    derive(rows, "backend=tensorflow")
    assert rows[1]["same_start"] == "no: data order (tf.data vs numpy pipelines)"


def test_rows_of_different_models_are_not_expected_to_share_a_start(tmp_path):
    _job(tmp_path, 0, ["model=lstm"], START)
    _job(tmp_path, 1, ["model=gru"], {**START, "weights": "w2"})
    rows = collect([tmp_path])
    derive(rows, "model=lstm")
    assert [r["same_start"] for r in rows] == [None, None] and not notes(rows)


def test_what_others_took_of_the_cores_marks_a_busy_machine(tmp_path):
    loads = [
        {"others_cores_mean": 0.01, "others_cores_peak": 0.05},  # quiet
        {"others_cores_mean": BUSY_MEAN * 1.5, "others_cores_peak": BUSY_MEAN * 2},  # all along
        {"others_cores_mean": 0.05, "others_cores_peak": BUSY_PEAK * 1.5},  # a burst
        {},  # a record without the figure (an older seqlab)
    ]
    for number, load in enumerate(loads):
        _job(tmp_path, number, [f"model.units={number + 1}"], load=load)
    rows = collect([tmp_path])
    derive(rows)
    assert [r["busy"] for r in rows] == [False, True, True, None]
    (note,) = [n for n in notes(rows) if n.startswith("load:")]
    assert "2 of 4 jobs" in note and "1, 2" in note


def test_smoke_runs_are_said_to_be_no_measurement(tmp_path):
    _job(tmp_path, 0, ["model=lstm"], smoke=True)
    rows = collect([tmp_path])
    derive(rows)
    assert rows[0]["smoke"] is True
    assert any(note.startswith("smoke: 1 of 1 jobs") for note in notes(rows))


@pytest.mark.e2e
def test_cpu_hogs_beside_one_job_mark_that_job_busy(tmp_path):
    quick = ["dataset.limit=300", "model.layers=1", "trainer.progress=false", "trainer.epochs=4"]
    sweep = tmp_path / "s"
    process = start_cli("-m", "model.units=4,5,6", *quick, "hydra.sweep.dir=s", cwd=tmp_path)

    def status(job):
        return json.loads((sweep / job / "results.json").read_text())["status"]

    assert wait_for(lambda: status("1") == "running", 300, process)
    hogs = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)
    ]  # every core of this 2-core machine
    try:
        assert wait_for(lambda: status("1") != "running", 300, process)
    finally:
        for hog in hogs:
            hog.send_signal(signal.SIGKILL)
            hog.wait()
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err[-3000:]
    rows = collect([sweep])
    derive(rows)
    others = [r["others_cores"] for r in rows]
    assert rows[1]["busy"] is True and others[1] >= 0.8, others  # two hogs: a core or more
    assert "load: " in out and "busy machine" in out
    print(f"others' cores: {others}")


def test_each_note_names_what_it_counts_and_cuts_long_lists(tmp_path):
    """The notes under the table, word by word: how many, which jobs (the first few and
    "..."), and what to do."""
    for number in range(14):
        load = {"others_cores_mean": 0.9, "others_cores_peak": 1.2} if number % 2 else {}
        start = {**START, "weights": "w2"} if number % 3 == 0 and number else START
        _job(tmp_path, number, [f"impl={'cell_loop' if number == 0 else f'x{number}'}"],
             start, load, smoke=number < 2)  # fmt: skip
    rows = collect([tmp_path])
    for i, row in enumerate(rows):  # 14 fits, each overlapping the next
        row["fit_window"], row["launcher"] = ("h", float(i), i + 1.5), "joblib"
    derive(rows, "impl=cell_loop")
    said = {note.split(":")[0]: note for note in notes(rows)}
    assert said["load"].startswith("load: 7 of 14 jobs were measured on a busy machine")
    assert "1, 3, 5, 7, 9, 11, 13" in said["load"] and "..." not in said["load"]
    assert said["timing"].startswith("timing: 14 of 14 jobs trained while other jobs trained")
    assert "(up to 2 at once; launcher joblib)" in said["timing"]
    assert said["smoke"].startswith("smoke: 2 of 14 jobs are smoke runs")
    assert said["start"].startswith("start: 4 row(s) did not start from their baseline's")
    assert "3: weights; 6: weights; 9: weights; 12: weights" in said["start"]
    assert list(said) == ["timing", "load", "smoke", "start"]  # the order they are read in


def test_the_device_column_says_the_device_asked_for_when_another_ran():
    from seqlab.records.columns import BY_NAME

    read = BY_NAME["device"].read
    assert read({"device": {"used": "cpu", "requested": "gpu"}}) == "cpu (gpu asked)"
    assert read({"device": {"used": "gpu", "requested": "auto"}}) == "gpu"
    assert read({"device": {"used": "cpu", "requested": "cpu"}}) == "cpu"
    assert read({}) is None


def test_an_interleaved_family_counts_as_one_fit_spanning_its_members_windows():
    """Its jobs lived at once but computed in turns: 1 at once, not 2. The family spans
    from its earliest start to its latest end, whatever order the rows come in, so a
    job beside any part of it is counted with it."""
    from seqlab.reports.compare import mark_shared

    rows = [
        {"fit_window": ["h", 0.0, 3.0], "family": "f"},  # earlier member listed first
        {"fit_window": ["h", 5.0, 10.0], "family": "f"},
        {"fit_window": ["h", 1.0, 2.0]},  # beside the family's first member only
        {"fit_window": ["h", 20.0, 30.0], "family": "g"},
        {"fit_window": ["h", 21.0, 29.0], "family": "g"},
        {"fit_window": ["other", 0.0, 30.0]},  # another host
        {"fit_window": None},
        {"fit_window": ["h", 40.0, 40.0]},  # a fit of zero length: alone
    ]
    mark_shared(rows)
    assert [row["jobs_at_once"] for row in rows] == [2, 2, 2, 1, 1, 1, None, 1]
    rows[0]["fit_window"], rows[1]["fit_window"] = ["h", 5.0, 10.0], ["h", 0.0, 3.0]
    mark_shared(rows)  # the later member first: the span still starts at 0
    assert [row["jobs_at_once"] for row in rows][:3] == [2, 2, 2]
    alone = [{"fit_window": ["h", 0.0, 3.0], "family": "f"}, {"fit_window": ["h", 1.0, 2.0]}]
    mark_shared(alone)
    assert [row["jobs_at_once"] for row in alone] == [2, 2]
