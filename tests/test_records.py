"""Records that never lie: reading records, job statuses, the folder rules, checkpoints, locks."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from seqlab.errors import FolderError
from seqlab.records.checkpoints import Checkpoints
from seqlab.records.columns import COLUMNS
from seqlab.records.files import write_json_atomic
from seqlab.records.folder import ATTIC_DIR, FolderLock, fingerprint, lock_is_held
from seqlab.records.record import UnreadableRecord, load_record
from seqlab.reports.rows import collect, headline
from seqlab.runs.decision import decide

from .records import seqlab_record

CONFIG = {"model": {"units": 8, "cell": "lstm"}, "trainer": {"lr": 0.01, "progress": True}}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('{"status": "ok", "metrics": {"val_acc', "not valid JSON"),
        ("[1, 2, 3]", "JSON list"),
        ('{"status": "ok", "config": 5}', "'config' of type int"),
        ('{"status": "finished"}', "status 'finished'"),
        ('{"status": "ok", "overrides": [1]}', "overrides that are not strings"),
        ('{"status": "ok"}', "says ok but has no config, overrides"),  # a foreign file
        ('{"status": "failed", "metrics": {"val_loss": Infinity}}', "Infinity is not a JSON"),
    ],
)
def test_a_damaged_or_foreign_record_is_unreadable_and_says_why(tmp_path, text, problem):
    (tmp_path / "results.json").write_text(text)
    with pytest.raises(UnreadableRecord, match=problem):
        load_record(tmp_path / "results.json")


def _job(sweep, number, record):
    folder = sweep / str(number)
    folder.mkdir(parents=True)
    if record is not None:
        text = record if isinstance(record, str) else json.dumps(seqlab_record(record))
        (folder / "results.json").write_text(text)
    return folder


def test_every_job_is_accounted_for_in_the_rows_and_the_headline(tmp_path):
    sweep = tmp_path / "sweep"
    metrics = {"metric": "accuracy", "val_accuracy": 0.5}
    _job(sweep, 0, {"status": "ok", "overrides": ["model=lstm"], "metrics": metrics})
    _job(sweep, 1, {"status": "running", "overrides": ["model=gru"], "pid": 1, "host": "h"})
    live = _job(sweep, 2, {"status": "running", "overrides": ["model=simple_rnn"]})
    _job(sweep, 3, '{"status": "ok", "metr')  # truncated by a crash of another tool
    _job(sweep, 4, {"status": "failed", "overrides": ["model=x"], "error": "boom"})
    write_json_atomic(sweep / "sweep.json", {"jobs": [[f"job={n}"] for n in range(6)]})
    lock = FolderLock(live, "run").acquire()  # job 2's process is alive
    try:
        rows = {row["job"]: row for row in collect([sweep])}
    finally:
        lock.release()
    assert rows["0"]["status"] == "ok"
    assert rows["1"]["status"] == "incomplete" and "pid 1 on h" in rows["1"]["error"]
    assert rows["2"]["status"] == "running"
    assert (
        rows["3"]["status"] == "unreadable"
        and str(sweep / "3" / "results.json") in (rows["3"]["error"])
    )
    assert rows["4"]["status"] == "failed"
    assert rows["5"]["status"] == "not run" and rows["5"]["overrides"] == {"job": "5"}
    assert headline(list(rows.values())) == (
        "1 ok, 1 failed, 1 incomplete, 1 running, 1 unreadable, 1 not run"
    )


def test_report_lists_unreadable_and_incomplete_jobs_and_exits_non_zero(tmp_path, capsys):
    from seqlab.cli.report import main as report_main

    sweep = tmp_path / "sweep"
    _job(sweep, 0, {"status": "ok", "overrides": ["model=lstm"]})
    _job(sweep, 1, "[1, 2, 3]")
    _job(sweep, 2, {"status": "running", "overrides": ["model=gru"]})
    assert report_main([str(sweep), "--no-chart"]) == 1
    out = capsys.readouterr().out
    assert "1 ok, 0 failed, 1 incomplete, 1 unreadable" in out
    csv = (sweep / "summary.csv").read_text()
    assert "unreadable" in csv and "incomplete" in csv


def test_report_on_an_empty_folder_is_an_error_and_writes_nothing(tmp_path, capsys):
    from seqlab.cli.report import main as report_main

    assert report_main([str(tmp_path)]) == 2
    assert "No seqlab jobs under" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_merged_sweeps_keep_each_jobs_metric_and_name_the_sweep(tmp_path):
    from seqlab.reports.summary import write_summary

    a, b = tmp_path / "digits", tmp_path / "adding"
    _job(a, 0, {"status": "ok", "metrics": {"metric": "accuracy", "val_accuracy": 0.9}})
    _job(b, 0, {"status": "ok", "metrics": {"metric": "mse", "val_mse": 0.1}})
    _, header, cells, _ = write_summary([a, b], tmp_path / "out", chart=False)
    assert header[:3] == ["sweep", "metric", "job"] and "val_metric" in header
    by_sweep = {c[0]: c for c in cells}
    assert by_sweep[str(a)][1] == "accuracy" and by_sweep[str(b)][1] == "mse"
    column = header.index("val_metric")
    assert by_sweep[str(a)][column] == 0.9 and by_sweep[str(b)][column] == 0.1


def test_the_fingerprint_ignores_only_what_changes_neither_result_nor_measurement():
    same = {**CONFIG, "trainer": {**CONFIG["trainer"], "progress": False}, "skip_finished": False}
    assert fingerprint(same) == fingerprint(CONFIG)
    other = {**CONFIG, "trainer": {**CONFIG["trainer"], "lr": 0.02}}
    assert fingerprint(other) != fingerprint(CONFIG)


def _finished(folder, config=CONFIG, status="ok"):
    folder.mkdir(parents=True, exist_ok=True)
    record = seqlab_record({"status": status, "config": config})
    write_json_atomic(folder / "results.json", record)
    (folder / "model.keras").write_bytes(b"weights")


def test_same_experiment_finished_is_skipped_and_skip_finished_false_keeps_a_trace(tmp_path):
    _finished(tmp_path)
    assert decide(tmp_path, CONFIG, resume=True, skip_finished=True).action == "skip"
    start = decide(tmp_path, CONFIG, resume=True, skip_finished=False)
    assert start.action == "fresh" and start.moved_to.parent == tmp_path / ATTIC_DIR
    assert (start.moved_to / "model.keras").read_bytes() == b"weights"
    assert not (tmp_path / "results.json").exists()


def test_another_experiment_in_a_finished_folder_is_refused_naming_the_keys(tmp_path):
    _finished(tmp_path)
    other = {**CONFIG, "trainer": {"lr": 0.5}, "dataset": {"val_fraction": 0.3}}
    with pytest.raises(FolderError) as info:
        decide(tmp_path, other, resume=True, skip_finished=True)
    message = str(info.value)
    assert "trainer.lr: 0.01 -> 0.5" in message and "dataset.val_fraction" in message
    assert "trainer.resume=false" in message and "hydra.run.dir" in message
    assert (tmp_path / "model.keras").exists()  # nothing was touched
    start = decide(tmp_path, other, resume=False, skip_finished=True)
    assert start.action == "fresh" and (start.moved_to / "model.keras").exists()


def test_a_failed_or_unreadable_run_is_moved_aside_and_started_fresh(tmp_path):
    _finished(tmp_path / "a", status="failed")
    start = decide(tmp_path / "a", {"other": 1}, resume=True, skip_finished=True)
    assert (
        start.action == "fresh" and "'failed'" in (start.moved_to / "MOVED_ASIDE.txt").read_text()
    )
    (tmp_path / "b" / ".hydra").mkdir(parents=True)  # a run's folder has its config record
    (tmp_path / "b" / "results.json").write_text("{")
    start = decide(tmp_path / "b", CONFIG, resume=True, skip_finished=True)
    assert (
        start.action == "fresh"
        and "not valid JSON" in (start.moved_to / "MOVED_ASIDE.txt").read_text()
    )


def _model():
    import keras

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.ones((4, 3)), np.ones((4, 2)), verbose=0)
    return model


def test_a_damaged_newest_checkpoint_falls_back_to_the_previous_one(tmp_path):
    checkpoints = Checkpoints(tmp_path)
    model = _model()
    for epoch in (1, 2, 3):
        checkpoints.save(model, epoch, [{"epoch": e} for e in range(1, epoch + 1)], "fp")
    names = sorted(p.name for p in checkpoints.dir.iterdir())
    assert names == [
        "epoch_0002.json",
        "epoch_0002.weights.h5",
        "epoch_0003.json",
        "epoch_0003.weights.h5",
    ]  # the two newest are kept
    assert checkpoints.latest().epoch == 3
    newest = checkpoints.dir / "epoch_0003.weights.h5"
    newest.write_bytes(newest.read_bytes()[:100])  # cut short, as a kill mid-write would
    fallback = checkpoints.latest()
    assert fallback.epoch == 2 and len(fallback.history) == 2
    (checkpoints.dir / "epoch_0002.json").write_text("")  # an empty mark
    with pytest.raises(FolderError, match="none is complete"):
        checkpoints.latest()


def test_a_different_experiment_with_a_checkpoint_is_refused(tmp_path):
    Checkpoints(tmp_path).save(_model(), 1, [{"epoch": 1}], fingerprint(CONFIG))
    other = {**CONFIG, "model": {"units": 9}}
    with pytest.raises(FolderError, match="holds another experiment"):
        decide(tmp_path, other, resume=True, skip_finished=True)
    start = decide(tmp_path, CONFIG, resume=True, skip_finished=True)
    assert start.action == "resume" and start.checkpoint.epoch == 1


def test_a_second_process_is_refused_and_a_dead_ones_lock_is_taken_over(tmp_path):
    lock = FolderLock(tmp_path, "run").acquire()
    assert lock_is_held(tmp_path)
    code = (
        "import sys; from seqlab.records.folder import FolderLock\n"
        f"FolderLock({str(tmp_path)!r}, 'run').acquire()\n"
    )
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert other.returncode != 0
    assert f"pid {os.getpid()}" in other.stderr and "in use by another seqlab process" in (
        other.stderr
    )
    lock.release()
    # A process that dies holding the lock (SIGKILL) leaves the file but not the lock.
    holder = subprocess.Popen(
        [sys.executable, "-c", code + "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"]
    )
    holder.wait()
    assert (tmp_path / "seqlab.lock").exists() and not lock_is_held(tmp_path)
    FolderLock(tmp_path, "run").acquire().release()


# A record's writer that has put half of the new text into its file, then waits to be
# killed (the text is written by Path.write_text, wherever write_json_atomic puts it).
_HALF_WRITER = """
import pathlib, sys, time
from seqlab.records.files import write_json_atomic

def half(self, text, *args, **kwargs):
    with open(self, "w") as f:
        f.write(text[: len(text) // 2])
        f.flush()
    print("half written", flush=True)
    time.sleep(60)

pathlib.Path.write_text = half
write_json_atomic(pathlib.Path(sys.argv[1]), {"status": "ok", "metrics": {"val_acc": 0.9}})
"""


def test_a_write_killed_halfway_leaves_the_old_file_whole(tmp_path):
    """SIGKILL while a record is rewritten: the old record reads back as it was, the
    half-written text sits only in a temporary the readers know to skip."""
    import signal

    from seqlab.records.files import temporary_of

    target = tmp_path / "results.json"
    old = json.dumps(seqlab_record({"status": "running", "overrides": ["model=lstm"]}))
    target.write_text(old)
    writer = subprocess.Popen(
        [sys.executable, "-c", _HALF_WRITER, str(target)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout.readline().strip() == "half written"
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    assert target.read_text() == old
    assert load_record(target)["status"] == "running"
    left = [p.name for p in tmp_path.iterdir() if p != target]
    assert len(left) == 1 and temporary_of(left[0]) == "results.json"


def test_a_write_that_fails_leaves_the_old_file_and_no_temporary(tmp_path):
    from seqlab.records.files import write_atomic

    target = tmp_path / "results.json"
    target.write_text("old")

    def failing(to):
        to.write_text("new, cut short")
        raise OSError(28, "No space left on device", str(to))

    with pytest.raises(OSError, match="No space left"):
        write_atomic(target, failing)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]


@pytest.mark.parametrize("name", ["results.json", "epoch_0012.weights.h5", "model_best.keras"])
def test_a_temporary_name_reads_back_as_the_file_it_stands_for(name):
    from seqlab.records.files import temporary_name, temporary_of

    temporary = temporary_name(name, 4321)
    assert temporary.startswith(".") and ".4321.tmp" in temporary
    assert temporary_of(temporary) == name
    assert temporary_of(name) is None  # the file itself is no temporary


def _sample(column) -> object:
    """A value a record may hold for `column`, and one it may not."""
    if bool in column.kind:
        return True
    if str in column.kind:
        return "a text"
    return 3 if float not in column.kind else 2.5


@pytest.mark.parametrize("column", COLUMNS, ids=lambda c: c.name)
def test_every_column_reads_back_what_a_record_holds_and_refuses_another_type(tmp_path, column):
    """The column table is the reader's only list: a new column (text, number or flag)
    is read, and checked, with no second list to keep (a text column once made every
    record unreadable)."""
    from seqlab.reports.rows import read_row

    if column.read is None or "<" in column.where:
        pytest.skip("derived from every row, or read through the task's metric")
    record = seqlab_record({"status": "ok", "overrides": ["model=lstm"]})
    *parents, leaf = column.where.split(".")
    place = record
    for key in parents:
        place = place.setdefault(key, {})
    place[leaf] = _sample(column)
    (tmp_path / "results.json").write_text(json.dumps(record))
    assert load_record(tmp_path / "results.json") is not None
    assert read_row(tmp_path)[column.name] == _sample(column)
    place[leaf] = [1] if str in column.kind else "a text"
    (tmp_path / "results.json").write_text(json.dumps(record))
    with pytest.raises(UnreadableRecord, match=column.where.replace(".", r"\.")):
        load_record(tmp_path / "results.json")


@pytest.mark.parametrize(
    ("section", "value", "said"),
    [
        ({"timing": {"step_ms_median": True}}, "True", "a number > 0 or null"),
        ({"timing": {"step_ms_median": 0.0}}, "0.0", "a number > 0 or null"),
        ({"timing": {"first_epoch_s": -1}}, "-1", "a number >= 0 or null"),
        ({"params": -2}, "-2", "a whole number >= 0 or null"),
        ({"env": {"backend": 3}}, "3", "a text or null"),
        ({"settings": {"jit_compile": "yes"}}, "'yes'", "true or false or null"),
    ],
)
def test_a_value_outside_its_columns_kind_says_what_seqlab_writes_there(
    tmp_path, section, value, said
):
    record = {**seqlab_record({"status": "ok"}), **section}
    (tmp_path / "results.json").write_text(json.dumps(record))
    with pytest.raises(UnreadableRecord) as found:
        load_record(tmp_path / "results.json")
    assert f"={value}, where seqlab writes {said}" in str(found.value)


def test_the_task_metric_column_reads_the_metric_the_record_names():
    from seqlab.records.columns import BY_NAME

    read = BY_NAME["val_metric"].read
    assert read({"metrics": {"metric": "mse", "val_mse": 0.2, "val_accuracy": 0.9}}) == 0.2
    assert read({"metrics": {"metric": 3, "val_3": 0.2}}) is None  # no name: no value


def test_a_finished_run_in_a_read_only_folder_is_skipped_only_for_its_own_experiment(tmp_path):
    """The read-only skip (an archive, a read-only mount) takes no lock, so it has its own
    fingerprint check; root passes chmod, so the folder is a tmpfs remounted read-only."""
    from seqlab.runs.decision import finished_read_only

    from .test_crashes import small_filesystem

    with small_filesystem(tmp_path / "archive", "1m") as folder:
        _finished(folder)
        remount = ["mount", "-o", "remount,ro", str(folder)]
        assert subprocess.run(remount, capture_output=True).returncode == 0
        assert not os.access(folder, os.W_OK)
        assert finished_read_only(folder, CONFIG)["status"] == "ok"
        other = {**CONFIG, "trainer": {**CONFIG["trainer"], "lr": 0.02}}
        assert finished_read_only(folder, other) is None


def test_numpy_scalars_are_written_as_json_numbers_and_non_finite_ones_as_null(tmp_path):
    nested = [np.float32(1.5), {"k": np.int32(2)}]
    values = {"f32": np.float32(0.5), "i64": np.int64(3), "nan": np.float32("nan"),
              "inf": np.float64("inf"), "nested": nested}  # fmt: skip
    write_json_atomic(tmp_path / "r.json", values)
    back = json.loads((tmp_path / "r.json").read_text())
    assert back == {"f32": 0.5, "i64": 3, "nan": None, "inf": None, "nested": [1.5, {"k": 2}]}


def test_a_staged_write_that_fills_the_disk_names_the_runs_file_and_says_so(tmp_path):
    """Native writers work in the system's temporary folder and Python copies the file
    over (HDF5 segfaulted on a full disk); when that copy fills the disk, the error is a
    plain ENOSPC naming the run's file, not the scratch copy, and the old file stays."""
    import errno

    from seqlab.records.files import write_atomic

    from .test_crashes import small_filesystem

    with small_filesystem(tmp_path / "small", "256k") as folder:
        target = folder / "model.keras"
        target.write_bytes(b"old weights")
        with pytest.raises(OSError) as raised:
            write_atomic(target, lambda to: to.write_bytes(os.urandom(1 << 20)), staged=True)
        assert raised.value.errno == errno.ENOSPC and raised.value.filename == str(target)
        assert target.read_bytes() == b"old weights"
        assert [p.name for p in folder.iterdir()] == ["model.keras"]


def test_the_compact_record_drops_only_what_a_reader_can_do_without():
    """When the disk has no room for the full record, the compact one leaves out the
    traceback, timing's definitions and the load samples, and says it is compact; the
    full one keeps a traceback when there is one and has no empty one."""
    from seqlab.records.record import RunRecord

    def made(**kwargs):
        return RunRecord(title="t", output_dir="o", overrides=["model=lstm"], config={}, **kwargs)

    record = made(status="failed", traceback="Traceback: boom")
    record.timing = {"step_ms_median": 10.0, "definitions": {"step_ms_median": "..."}}
    record.load = {"others_cores": 0.1, "samples": [[0.0, 0.1]]}
    full = record.as_dict()
    assert full["traceback"] == "Traceback: boom" and "compact" not in full
    assert full["timing"]["definitions"] and full["load"]["samples"]
    assert "traceback" not in made(status="ok").as_dict()
    compact = record.as_dict(compact=True)
    assert compact["compact"] is True and "traceback" not in compact
    assert compact["timing"] == {"step_ms_median": 10.0}
    assert compact["load"] == {"others_cores": 0.1}
    left_alone = {k: v for k, v in full.items() if k not in ("timing", "load", "traceback")}
    assert {k: compact[k] for k in left_alone} == left_alone


def test_resume_false_starts_afresh_and_keeps_the_checkpoints_in_the_attic(tmp_path):
    Checkpoints(tmp_path).save(_model(), 1, [{"epoch": 1}], fingerprint(CONFIG))
    start = decide(tmp_path, CONFIG, resume=False, skip_finished=True)
    assert start.action == "fresh" and start.moved_to.parent == tmp_path / ATTIC_DIR
    assert not Checkpoints(tmp_path).present()
    assert any(p.name.endswith(".weights.h5") for p in start.moved_to.rglob("*"))


def test_the_read_only_skip_never_takes_a_folder_that_can_be_written(tmp_path):
    """A writable folder goes the locked way (`decide`), even with a finished run in it."""
    from seqlab.runs.decision import finished_read_only

    _finished(tmp_path / "run")
    assert finished_read_only(tmp_path / "run", CONFIG) is None
    assert finished_read_only(tmp_path / "missing", CONFIG) is None


def test_another_experiment_names_eight_differing_keys_and_says_there_are_more(tmp_path):
    wide = {f"k{i}": i for i in range(10)}
    _finished(tmp_path, {**CONFIG, **wide})
    other = {**CONFIG, **{k: v + 1 for k, v in wide.items()}}
    with pytest.raises(FolderError) as raised:
        decide(tmp_path, other, resume=True, skip_finished=True)
    said = str(raised.value)
    assert said.count("k") >= 8 and " ...)" in said
    _finished(tmp_path / "few", {**CONFIG, "k0": 0})
    with pytest.raises(FolderError) as raised:
        decide(tmp_path / "few", {**CONFIG, "k0": 1}, resume=True, skip_finished=True)
    assert " ...)" not in str(raised.value)
