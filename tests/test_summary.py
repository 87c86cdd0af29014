"""A sweep's table from results.json files: swept keys, the speed-up column, sorting."""

from __future__ import annotations

import csv
import json
import os

import pytest

from seqlab.reports.summary import write_summary
from seqlab.reports.table import table

from .records import seqlab_record


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
    (folder / "results.json").write_text(json.dumps(seqlab_record(record)))


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
    _, header, cells, _ = write_summary([impl_sweep], tmp_path, baseline=baseline, chart=False)
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
    from seqlab.reports.compare import derive
    from seqlab.reports.rows import collect

    rows = collect([impl_sweep])
    derive(rows, "impl=cell_loop")
    header, cells = table(rows, "impl=cell_loop")
    by_job = {c[0]: c[header.index("speedup")] for c in cells}
    assert by_job["4"] is None and by_job["5"] is None and by_job["1"] == pytest.approx(1.0)


def _timed_job(sweep, job, host, window, launcher=None):
    write_job(sweep, job, [f"model.units={job + 1}"], 10.0)
    path = sweep / str(job) / "results.json"
    record = json.loads(path.read_text())
    record["host"] = host
    record["timing"]["fit_window"] = window
    record["env"] = {"launcher": launcher or {"name": "ray", "workers_per_node": 2}}
    path.write_text(json.dumps(record))


def test_jobs_at_once_counts_the_fits_that_overlapped_on_the_same_host(tmp_path):
    sweep = tmp_path / "sweep"
    _timed_job(sweep, 0, "a", [0.0, 10.0])  # overlaps 1 and 2, never both at once
    _timed_job(sweep, 1, "a", [2.0, 4.0])
    _timed_job(sweep, 2, "a", [5.0, 12.0])
    _timed_job(sweep, 3, "b", [0.0, 10.0])  # another host: alone
    _timed_job(sweep, 4, "a", [12.0, 13.0])  # starts as job 2 ends: alone
    write_job(sweep, 5, ["model.units=9"], None, status="failed")  # never trained
    _, header, cells, _ = write_summary([sweep], sweep, chart=False)
    at_once = {c[0]: c[header.index("jobs_at_once")] for c in cells}
    assert at_once == {"0": 2, "1": 2, "2": 2, "3": 1, "4": 1, "5": None}
    assert {c[header.index("workers_per_node")] for c in cells[:5]} == {2}
    note = (sweep / "summary.md").read_text().splitlines()[-1]
    assert note.startswith("timing: 3 of 6 jobs trained while other jobs trained")
    assert "up to 2 at once; launcher ray, 2 workers per node" in note

    _timed_job(sweep, 6, "a", [3.0, 3.5])  # inside jobs 0 and 1: three at once
    _, header, cells, _ = write_summary([sweep], sweep, chart=False)
    at_once = {c[0]: c[header.index("jobs_at_once")] for c in cells}
    assert (at_once["0"], at_once["1"], at_once["2"], at_once["6"]) == (3, 3, 2, 3)


def test_jobs_run_one_after_another_get_no_sharing_note(tmp_path):
    sweep = tmp_path / "sweep"
    for job in range(3):
        _timed_job(sweep, job, "a", [job * 10.0, job * 10.0 + 9.0], {"name": "basic"})
    _, header, cells, _ = write_summary([sweep], sweep, chart=False)
    assert [c[header.index("jobs_at_once")] for c in cells] == [1, 1, 1]
    assert "timing:" not in (sweep / "summary.md").read_text()


JOBLIB = "hydra_plugins.hydra_joblib_launcher.joblib_launcher"
SUBMITIT = "hydra_plugins.hydra_submitit_launcher.submitit_launcher"


@pytest.mark.parametrize(
    ("launcher", "workers"),
    [
        ({"_target_": "hydra._internal.core_plugins.basic_launcher.BasicLauncher"}, 1),
        ({"_target_": f"{JOBLIB}.JoblibLauncher", "n_jobs": 3}, 3),
        ({"_target_": f"{JOBLIB}.JoblibLauncher", "n_jobs": -1}, os.cpu_count()),
        ({"_target_": f"{SUBMITIT}.SlurmLauncher"}, None),
    ],
)
def test_the_launcher_and_its_workers_per_node_come_from_hydras_launcher_config(launcher, workers):
    from seqlab.sweeps.launchers import describe

    info = describe(launcher)
    assert info["workers_per_node"] == workers
    assert info["name"] in ("basic", "joblib", "submitit_slurm")


@pytest.mark.parametrize(
    "window", ["59", [True, True], [1.0, "2"], [0.0, 1e300], [1.0, 2.0, 3.0], [5.0, 4.0], None]
)
def test_an_implausible_fit_window_counts_as_none(tmp_path, window):
    sweep = tmp_path / "sweep"
    _timed_job(sweep, 0, "a", window)
    _timed_job(sweep, 1, "a", [0.0, 10.0])
    _, header, cells, _ = write_summary([sweep], sweep, chart=False)
    assert [c[header.index("jobs_at_once")] for c in cells] == [None, 1]


def test_the_same_job_listed_twice_is_not_two_jobs_sharing_a_host(tmp_path):
    import shutil

    sweep = tmp_path / "sweep"
    _timed_job(sweep, 0, "a", [0.0, 10.0])
    _timed_job(sweep, 1, "a", [20.0, 30.0])
    shutil.copytree(sweep, tmp_path / "copy")
    _, header, cells, _ = write_summary([sweep, tmp_path / "copy"], tmp_path, chart=False)
    assert [c[header.index("jobs_at_once")] for c in cells] == [1, 1, 1, 1]
    assert "timing:" not in (tmp_path / "summary.md").read_text()


def test_seqlab_report_refuses_a_folder_given_twice(tmp_path, capsys):
    from seqlab.cli.report import main as report_main

    sweep = tmp_path / "sweep"
    _timed_job(sweep, 0, "a", [0.0, 10.0])
    assert report_main([str(sweep), str(tmp_path / "." / "sweep"), "--no-chart"]) == 2
    assert "given more than once" in capsys.readouterr().err
    assert not (tmp_path / "summary.csv").exists()


def test_seqlab_report_refuses_a_folder_and_one_inside_it(tmp_path, capsys):
    from seqlab.cli.report import main as report_main

    _timed_job(tmp_path / "par" / "a", 0, "a", [0.0, 10.0])
    _timed_job(tmp_path / "par" / "b", 0, "b", [0.0, 10.0])
    out = tmp_path / "out"
    args = [str(tmp_path / "par"), str(tmp_path / "par" / "a"), "--out", str(out), "--no-chart"]
    assert report_main(args) == 2
    assert f"{tmp_path / 'par' / 'a'} is inside {tmp_path / 'par'}" in capsys.readouterr().err
    assert not out.exists()
    assert report_main([str(tmp_path / "par"), "--out", str(out), "--no-chart"]) == 0


def test_sorting_by_the_speedup_needs_a_baseline(impl_sweep, tmp_path):
    from seqlab.errors import ConfigError

    with pytest.raises(ConfigError, match="without a baseline"):
        write_summary([impl_sweep], tmp_path, sort="speedup", chart=False)
    _, header, cells, _ = write_summary(
        [impl_sweep], tmp_path, baseline="impl=cell_loop", sort="speedup", chart=False
    )
    speedups = [c[header.index("speedup")] for c in cells]
    assert speedups == sorted(speedups)


def test_numbers_print_in_a_width_a_terminal_can_show():
    from seqlab.reports.table import fmt

    assert fmt(1e308) == "1e+308" and fmt(1234.5) == "1234" and fmt(0.012345) == "0.01235"


def test_the_title_says_only_what_some_row_says(capsys):
    from seqlab.reports.table import print_table

    header = ["job", "backend", "kernel", "step_ms_median"]
    print_table(
        "seqlab sweep", header, [["0", "tensorflow", None, 1.0], ["1", "tensorflow", None, 2.0]]
    )
    out = " ".join(capsys.readouterr().out.split())
    assert "(backend tensorflow)" in out and "kernel" not in out


@pytest.mark.parametrize("value", [-5.0, 0.0])
def test_a_record_with_a_negative_or_zero_step_time_is_unreadable(tmp_path, value):
    from seqlab.records.record import UnreadableRecord, load_record

    write_job(tmp_path, 0, ["model=lstm"], value)
    with pytest.raises(UnreadableRecord, match="step_ms_median"):
        load_record(tmp_path / "0" / "results.json")


def test_rows_of_one_dataset_option_on_different_data_are_said_and_not_ok(tmp_path):
    from seqlab.reports.summary import all_ok

    sweep = tmp_path / "s"
    for job, (model, data) in enumerate([("lstm", "aaaa"), ("gru", "bbbb"), ("lstm", None)]):
        folder = sweep / str(job)
        folder.mkdir(parents=True)
        record = {
            "status": "ok",
            "overrides": [f"model={model}", "dataset.path=x.npz"],
            "config": {"dataset": {"name": "imdb", "path": "x.npz"}},
            "timing": {"step_ms_median": 10.0},
            "start": {"data": data} if data else {},
        }
        (folder / "results.json").write_text(json.dumps(seqlab_record(record)))
    rows, _, _, said = write_summary([sweep], sweep, chart=False)
    assert [row["data_mixed"] for row in rows] == [True, True, False]
    assert any(note.startswith("data: 2 jobs") and "0: aaaa; 1: bbbb" in note for note in said)
    assert not all_ok(rows)
    (sweep / "1" / "results.json").write_text(
        (sweep / "1" / "results.json").read_text().replace("bbbb", "aaaa")
    )
    rows, _, _, said = write_summary([sweep], sweep, chart=False)
    assert all_ok(rows) and not any(note.startswith("data:") for note in said)
    # Other dataset options (a preset's, not an override) are other data, as they should be.
    other = json.loads((sweep / "1" / "results.json").read_text())
    other["config"]["dataset"]["name"], other["start"]["data"] = "mnist", "cccc"
    (sweep / "1" / "results.json").write_text(json.dumps(other))
    rows, _, _, said = write_summary([sweep], sweep, chart=False)
    assert all_ok(rows)


def test_rich_markup_in_a_folder_name_a_key_or_a_value_is_printed_as_text(tmp_path, capsys):
    """`[/]` in hydra.sweep.dir failed the summary after every job was ok; in a record's
    value seqlab-report died with a MarkupError traceback."""
    from seqlab.cli.report import main

    sweep = tmp_path / "a[/]b[bold]"
    write_job(sweep, 0, ["model=[/]", "[red]k=1"], 10.0)
    write_job(sweep, 1, ["model=gru", "[red]k=2"], 12.0, status="failed")
    assert main([str(sweep), "--no-chart", "--baseline", "model=gru"]) == 1  # a failed job
    out = capsys.readouterr()
    assert "[/]" in out.out and "[red]k" in out.out and "Traceback" not in out.err
    assert main([str(sweep / "nope[/]")]) == 2
    assert "nope[/]" in capsys.readouterr().err


def test_a_fifo_under_a_records_name_is_unreadable_not_an_endless_wait(tmp_path):
    """A FIFO named results.json or history.csv hung seqlab-report, the end-of-sweep
    summary, repeats=auto's decisions and the driver's stop thread forever."""
    import subprocess
    import sys

    sweep = tmp_path / "s"
    write_job(sweep, 0, ["model=lstm"], 10.0)
    os.mkfifo(sweep / "0" / "history.csv")
    (sweep / "1").mkdir()
    os.mkfifo(sweep / "1" / "results.json")
    os.mkfifo(sweep / "sweep.json")
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from seqlab.cli.report import console_main; console_main()",
            str(sweep),
            "--no-chart",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr[-2000:]
    assert "1 ok, 0 failed, 1 unreadable" in done.stdout
    assert "not a regular file" in (sweep / "summary.csv").read_text()


def test_an_unknown_sort_key_lists_the_columns_and_no_internal_field(impl_sweep, tmp_path):
    from seqlab.errors import ConfigError

    with pytest.raises(ConfigError, match="Cannot sort by 'nope'") as refused:
        write_summary([impl_sweep], tmp_path, sort="nope", chart=False)
    listed = str(refused.value).split("Choose one of: ")[1]
    assert "step_ms_median" in listed and "impl" in listed and "speedup" in listed
    for internal in ("members", "fit_window", "start", "host", "data_mixed", "overrides"):
        assert internal not in listed.replace(".", ",").split(", ")


def test_a_launcher_is_recorded_by_the_name_typed_and_found_by_class_under_another():
    """`launcher_of` matched by class and the first row won: a YAML of the user's own
    (conf/hydra/launcher/two_at_once.yaml, a joblib launcher) recorded as 'joblib'."""
    from seqlab.sweeps.launchers import describe, launcher_of

    joblib = {"_target_": f"{JOBLIB}.JoblibLauncher", "n_jobs": 2}
    info = describe(joblib, "two_at_once")
    assert info == {"name": "two_at_once", "workers_per_node": 2, "node": None}
    assert launcher_of(joblib, "two_at_once").name == "joblib"
    assert launcher_of({"_target_": "x.LocalLauncher"}, "submitit_local").job_id is None


def test_a_launcher_whose_plugin_is_missing_names_its_extra(monkeypatch):
    import importlib.util

    from seqlab.sweeps.launchers import missing_plugin

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name: None if "joblib" in name else real(name)
    )
    said = missing_plugin(["-m", "hydra/launcher=joblib", "model=lstm,gru"])
    assert said and "pip install 'seqlab[joblib]'" in said
    assert missing_plugin(["-m", "hydra/launcher=basic"]) is None
