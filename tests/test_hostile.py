"""What a hostile tester found, kept found: each test failed before its fix."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import weakref

import numpy as np
import pytest

from seqlab.config import validate
from seqlab.errors import ConfigError, DataError, FolderError
from seqlab.records import signals
from seqlab.records.checkpoints import Checkpoints
from seqlab.records.folder import FolderLock
from seqlab.records.record import UnreadableRecord, load_record
from seqlab.runs.decision import decide

from .conftest import run_cli
from .records import seqlab_record
from .test_crashes import QUICK, small_filesystem
from .test_records import _model


class _Swallowed:
    """Raising inside a weakref callback is what Python discards ("Exception ignored")."""


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_signal_whose_exception_python_swallowed_still_interrupts():
    with signals.interruptible():
        target = _Swallowed()
        weakref.finalize(target, signals.interrupt_handler, signal.SIGTERM, None)
        del target  # the handler's Interrupted is raised and discarded right here
        with pytest.raises(signals.Interrupted) as info:
            signals.check()
    assert info.value.signal_name == "SIGTERM"
    with signals.interruptible():
        signals.check()  # a new run starts with nothing pending


def test_the_interrupt_check_stops_training_at_the_next_batch():
    from seqlab.training.callbacks import InterruptCheck

    check = InterruptCheck()
    with signals.interruptible():
        check.on_train_batch_end(0)
        signals._pending.append("SIGINT")
        with pytest.raises(signals.Interrupted):
            check.on_train_batch_end(1)


def test_report_keeps_same_named_jobs_of_nested_folders_apart(tmp_path):
    from seqlab.cli.report import main as report_main

    for sub, status in (("a", "ok"), ("b", "failed")):
        folder = tmp_path / sub / "0"
        folder.mkdir(parents=True)
        (folder / "results.json").write_text(json.dumps({"status": status, "overrides": []}))
    assert report_main([str(tmp_path), "--no-chart"]) == 1  # the failed one is counted
    csv = (tmp_path / "summary.csv").read_text()
    assert "a/0" in csv and "b/0" in csv


def test_a_lock_that_is_a_directory_or_a_link_is_a_clear_error(tmp_path):
    (tmp_path / "d" / "seqlab.lock").mkdir(parents=True)
    with pytest.raises(FolderError, match="must be a plain file"):
        FolderLock(tmp_path / "d", "run").acquire()
    (tmp_path / "l").mkdir()
    (tmp_path / "l" / "seqlab.lock").symlink_to("/nowhere/x")
    with pytest.raises(FolderError, match="must be a plain file"):
        FolderLock(tmp_path / "l", "run").acquire()


def test_a_single_run_into_a_sweeps_folder_is_refused(tmp_path):
    (tmp_path / "0").mkdir()
    (tmp_path / "0" / "results.json").write_text('{"status": "ok"}')
    with pytest.raises(FolderError, match="holds a sweep"):
        decide(tmp_path, {"a": 1}, resume=True, skip_finished=True)
    assert (tmp_path / "0" / "results.json").exists()  # nothing moved aside


def test_a_checkpoint_mark_of_the_wrong_shape_falls_back_and_stray_folders_stay(tmp_path):
    checkpoints = Checkpoints(tmp_path)
    model = _model()
    checkpoints.save(model, 1, [{"epoch": 1}], "fp")
    (checkpoints.dir / "junk").mkdir()  # not seqlab's: left alone, never a failure
    checkpoints.save(model, 2, [{"epoch": 1}, {"epoch": 2}], "fp")
    mark = checkpoints.dir / "epoch_0002.json"
    meta = json.loads(mark.read_text())
    mark.write_text(json.dumps({**meta, "history": "xyz"}))  # its weights' hash still holds
    assert checkpoints.latest().epoch == 1
    assert (checkpoints.dir / "junk").is_dir()


@pytest.mark.parametrize("review", [[2**64 - 1], [2**63 - 2], [2**31 + 5]])
def test_token_ids_that_a_cast_or_the_offset_would_wrap_are_refused(compose_cfg, tmp_path, review):
    from seqlab.data import load_dataset

    reviews = np.empty(2, dtype=object)
    reviews[0], reviews[1] = [5, 6], np.array(review, dtype=np.uint64)
    path = tmp_path / "ids.npz"
    np.savez(path, reviews, np.array([0, 1]), reviews, np.array([1, 0]))
    cfg = compose_cfg("dataset=imdb", f"dataset.path={path}", "dataset.num_words=null")
    with pytest.raises(DataError, match="beyond the largest id"):
        load_dataset(validate(cfg).dataset)


def test_dataset_path_on_a_dataset_without_files_is_refused(compose_cfg):
    with pytest.raises(ConfigError, match="does not apply to dataset=digits"):
        validate(compose_cfg("dataset.path=/does/not/exist"))


def test_a_record_with_words_where_numbers_go_is_unreadable(tmp_path):
    path = tmp_path / "results.json"
    path.write_text(json.dumps({"status": "ok", "timing": {"step_ms_median": "fast"}}))
    with pytest.raises(UnreadableRecord, match=r"timing\.step_ms_median='fast', where seqlab wr"):
        load_record(path)


def test_an_unknown_baseline_is_an_error(tmp_path, capsys):
    from seqlab.cli.report import main as report_main

    (tmp_path / "0").mkdir()
    record = {"status": "ok", "overrides": ["impl=layer"], "timing": {"step_ms_median": 1.0}}
    (tmp_path / "0" / "results.json").write_text(json.dumps(seqlab_record(record)))
    assert report_main([str(tmp_path), "--baseline", "nope=x", "--no-chart"]) == 2
    assert "matches no job" in capsys.readouterr().err


@pytest.mark.e2e
def test_one_refused_job_does_not_stop_the_sweep(tmp_path):
    sweep = tmp_path / "sweep"
    (sweep / "1").mkdir(parents=True)
    holder = FolderLock(sweep / "1", "run").acquire()  # another process's run is there
    try:
        args = ["-m", "model=simple_rnn,lstm,gru", "trainer=smoke", *QUICK]
        result = run_cli(*args, "hydra.sweep.dir=sweep", cwd=tmp_path)
    finally:
        holder.release()
    assert result.returncode == 1, result.stderr[-2000:]
    assert "job refused" in result.stderr and "Traceback" not in result.stderr
    rows = (sweep / "summary.csv").read_text().splitlines()
    assert [r.split(",")[2] for r in rows[1:]] == ["ok", "refused", "ok"]
    assert "in use by another seqlab process" in rows[2]  # the row says why


@pytest.mark.e2e
def test_sweeps_and_runs_do_not_invade_each_others_folders(tmp_path):
    run = run_cli("trainer=smoke", *QUICK, "hydra.run.dir=run", cwd=tmp_path)
    assert run.returncode == 0
    into_run = run_cli(
        "-m", "model=lstm", "trainer=smoke", *QUICK, "hydra.sweep.dir=run", cwd=tmp_path
    )
    assert into_run.returncode == 2 and "holds a single run" in " ".join(into_run.stderr.split())
    failed = ["-m", "model=simple_rnn,lstm", "dataset=imdb", "dataset.path=/none.npz", *QUICK]
    assert run_cli(*failed, "hydra.sweep.dir=sw", cwd=tmp_path).returncode == 1
    other = run_cli("-m", "model=gru", "trainer=smoke", *QUICK, "hydra.sweep.dir=sw", cwd=tmp_path)
    assert other.returncode == 2
    assert "job 1 holds a run" in " ".join(other.stderr.split())


@pytest.mark.e2e
def test_a_full_disk_at_the_summary_is_an_error_not_a_clean_exit(tmp_path):
    with small_filesystem(tmp_path / "small", size="40k") as folder:
        args = ["-m", "model=gru,lstm", *QUICK, "trainer.epochs=2", f"hydra.sweep.dir={folder}/s"]
        result = run_cli(*args, cwd=tmp_path)
        assert result.returncode != 0, result.stdout[-2000:]
        assert "Traceback" not in result.stderr
        assert "No space left on device" in " ".join(result.stderr.split())


@pytest.mark.e2e  # a whole training run: kept out of the fast tier
def test_predict_writes_exactly_the_named_file_or_says_why_not(tmp_path):
    from hydra import compose, initialize_config_dir

    from seqlab.cli.predict import main as predict_main
    from seqlab.config.store import conf_dir
    from seqlab.runs.experiment import run_experiment

    overrides = ["trainer=smoke", "trainer.progress=false", "model.units=4"]
    with initialize_config_dir(str(conf_dir()), version_base="1.3"):
        cfg = compose("config", overrides=overrides)
    assert run_experiment(cfg, tmp_path / "run", overrides)["status"] == "ok"
    assert predict_main([str(tmp_path / "run"), "--out", str(tmp_path / "preds")]) == 0
    assert (tmp_path / "preds").is_file() and not list(tmp_path.glob(".preds*"))
    assert predict_main([str(tmp_path / "run"), "--out", str(tmp_path / "no" / "p.npz")]) == 2


@pytest.mark.e2e
def test_predict_refuses_a_fused_impl_for_a_custom_cell(tmp_path, capsys):
    from hydra import compose, initialize_config_dir

    from seqlab.cli.predict import main as predict_main
    from seqlab.config.store import conf_dir
    from seqlab.runs.experiment import run_experiment

    overrides = ["model=indrnn", "impl=cell_loop", "trainer=smoke", "trainer.progress=false"]
    with initialize_config_dir(str(conf_dir()), version_base="1.3"):
        cfg = compose("config", overrides=overrides)
    assert run_experiment(cfg, tmp_path, overrides)["status"] == "ok"
    assert predict_main([str(tmp_path), "--impl", "layer"]) == 2
    assert "needs a fused Keras layer" in capsys.readouterr().err


@pytest.mark.e2e
def test_sigterm_at_random_early_moments_never_ends_ok(tmp_path):
    """SIGTERM at several moments of start-up and training: never 'ok' with exit 0."""
    args = [*QUICK, "trainer.epochs=300"]
    for number, delay in enumerate((3.0, 3.4, 3.8, 4.2, 4.6)):
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
        process = subprocess.Popen(
            [sys.executable, "-m", "seqlab", *args, f"hydra.run.dir=r{number}"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            process.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=120)
        assert process.returncode == 143, (delay, process.returncode)
        record = tmp_path / f"r{number}" / "results.json"
        if record.exists():
            assert json.loads(record.read_text())["status"] == "interrupted"


def _record_with_cell(run_dir, custom_cell) -> None:
    """A finished run's folder whose results.json names `custom_cell` (edited or received)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "model.keras").write_bytes(b"not read: refused before")
    config = {
        "dataset": {"name": "digits"},
        "model": {"cell": "custom", "custom_cell": custom_cell},
        "impl": {"name": "cell_loop"},
    }
    record = {"status": "ok", "config": config, "overrides": [], "metrics": {}, "timing": {}}
    (run_dir / "results.json").write_text(json.dumps({**record, "env": {}}))


@pytest.mark.parametrize(
    ("custom_cell", "said"),
    [
        (
            {
                "_target_": "seqlab.examples.indrnn.IndRNNCell",
                "recurrent_max": {"_target_": "shutil.copyfile", "src": "SRC", "dst": "DST"},
            },
            "must be plain values",
        ),
        ({"_target_": "shutil.copyfile", "src": "SRC", "dst": "DST"}, "is not trusted"),
        ({"_target_": "builtins.open", "file": "DST", "mode": "w"}, "is not trusted"),
        ({"_target_": "antigravity.Cell"}, "is not trusted"),  # importing it opens a browser
        ({"_target_": "seqlab.__main__.Cell"}, "is not trusted"),  # importing it starts a run
        ({"_target_": "seqlab.cli.main.Cell"}, "is not trusted"),  # seqlab, but not a cell
    ],
)
def test_predict_never_runs_what_a_run_folders_record_names(tmp_path, capsys, custom_cell, said):
    from seqlab.cli.predict import main as predict_main

    # Importing antigravity opens a browser (through webbrowser, which plotly imports
    # anyway, so only antigravity itself tells); nothing before this test imported it.
    assert "antigravity" not in sys.modules
    src, dst = tmp_path / "src.txt", tmp_path / "dst.txt"
    src.write_text("the attacker's"), dst.write_text("the user's")
    text = json.dumps(custom_cell).replace("SRC", str(src)).replace("DST", str(dst))
    _record_with_cell(tmp_path / "run", json.loads(text))
    assert predict_main([str(tmp_path / "run"), "--impl", "cell_loop"]) == 2
    err = capsys.readouterr().err
    assert said in err and "Traceback" not in err
    assert dst.read_text() == "the user's"
    assert "antigravity" not in sys.modules
    assert "seqlab.__main__" not in sys.modules


def test_predict_refuses_an_interpolation_that_would_name_a_cell_past_the_trust_check(
    tmp_path, capsys
):
    from seqlab.cli.predict import main as predict_main

    _record_with_cell(tmp_path / "run", {"_target_": "this.Cell"})  # `this` prints on import
    record = json.loads((tmp_path / "run" / "results.json").read_text())
    record["config"]["model"]["cell"] = "${oc.env:SEQLAB_NOPE,custom}"
    (tmp_path / "run" / "results.json").write_text(json.dumps(record))
    assert predict_main([str(tmp_path / "run")]) == 2
    captured = capsys.readouterr()
    assert "an interpolation" in captured.err and "config.model.cell" in captured.err
    assert "Zen of Python" not in captured.out and "this" not in sys.modules


def test_a_trusted_module_still_yields_only_keras_layer_classes(tmp_path, capsys):
    from seqlab.cli.predict import main as predict_main

    dst = tmp_path / "dst.txt"
    dst.write_text("the user's")
    _record_with_cell(tmp_path / "run", {"_target_": "shutil.copyfile", "dst": str(dst)})
    code = predict_main([str(tmp_path / "run"), "--trust", "shutil"])
    assert code == 2 and "not a Keras layer class" in capsys.readouterr().err
    assert dst.read_text() == "the user's"


@pytest.mark.parametrize(
    ("overrides", "said"),
    [
        (["trainer.seed=-1"], "trainer.seed=-1 is not allowed"),
        (["dataset.split_seed=-3"], "dataset.split_seed=-3 is not allowed"),
        (["model.layers=1000000"], "model.layers=1000000 is not allowed"),
        (["trainer.lr=${oc.env:HOME}"], "could not be converted to Float"),
        (["trainer.lr=${nope}"], "Interpolation key 'nope' not found"),
    ],
)
def test_values_that_ended_in_a_traceback_are_refused_in_one_paragraph(
    compose_cfg, overrides, said
):
    with pytest.raises(ConfigError, match=said):
        validate(compose_cfg(*overrides))


@pytest.mark.parametrize(
    ("overrides", "said"),
    [
        (["model=indrnn", "+model.custom_cell.recurent_max=1.0"], "cannot be built with"),
        (
            ["model.cell=custom", "+model.custom_cell._target_=keras.layers.Dense"],
            "not an RNN cell: it has no state_size",
        ),
    ],
)
def test_a_custom_cell_that_cannot_be_a_cell_is_refused(compose_cfg, overrides, said):
    from seqlab.models.cells.custom import family_for

    cfg = validate(compose_cfg("impl=cell_loop", *overrides))
    with pytest.raises(ConfigError, match=said):
        family_for(cfg.model)


def test_a_folder_of_the_users_own_files_is_refused_not_moved_aside(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "data").mkdir()
    with pytest.raises(FolderError, match="holds files no seqlab run wrote"):
        decide(tmp_path, {"a": 1}, resume=True, skip_finished=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "notes.txt"]
    # A name shared with a run's file proves nothing: their own model and a results.json
    # that is not a seqlab record are theirs too.
    for name in ("model.keras", "results.json", "history.csv"):
        (tmp_path / name).write_text("mine")
        with pytest.raises(FolderError, match="holds files no seqlab run wrote"):
            decide(tmp_path, {"a": 1}, resume=True, skip_finished=True)
        assert (tmp_path / name).read_text() == "mine"
    (tmp_path / ".hydra").mkdir()  # a run killed before its first record: moved aside
    start = decide(tmp_path, {"a": 1}, resume=True, skip_finished=True)
    assert start.action == "fresh" and (start.moved_to / "notes.txt").exists()


def test_a_killed_writers_temporary_files_go_and_a_users_files_stay(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / ".results.17745.tmp.json").write_text("{")
    (run / "results.json").write_text(json.dumps(seqlab_record({"status": "failed"})))
    checkpoints = Checkpoints(run)
    model = _model()
    checkpoints.save(model, 1, [{"epoch": 1}], "f")
    (checkpoints.dir / "NOTES.txt").write_text("mine")
    (checkpoints.dir / ".epoch_0001.99.tmp.weights.h5").write_bytes(b"cut short")
    checkpoints.save(model, 2, [{"epoch": 1}, {"epoch": 2}], "f")
    names = sorted(p.name for p in checkpoints.dir.iterdir())
    assert "NOTES.txt" in names and ".epoch_0001.99.tmp.weights.h5" not in names
    checkpoints.clear()
    assert [p.name for p in checkpoints.dir.iterdir()] == ["NOTES.txt"]
    assert not checkpoints.present()
    decide(run, {"a": 1}, resume=True, skip_finished=True)
    assert not list(run.rglob(".results.17745.tmp.json"))  # removed, not moved aside


def test_a_run_refuses_a_nested_target_in_its_custom_cell(compose_cfg):
    cfg = compose_cfg(
        "model=indrnn", "impl=cell_loop", "+model.custom_cell.extra._target_=shutil.rmtree"
    )
    with pytest.raises(ConfigError, match="must be plain values"):
        validate(cfg)


@pytest.mark.e2e
def test_a_sweep_whose_summary_fails_says_so_and_exits_non_zero(tmp_path):
    # A real broken install: importing scipy (the summary's statistics) raises ImportError.
    (tmp_path / "broken" / "scipy").mkdir(parents=True)
    (tmp_path / "broken" / "scipy" / "__init__.py").write_text('raise ImportError("broken")')
    done = run_cli(
        "-m",
        "trainer.seed=1,2",
        "dataset=adding",
        "dataset.length=6",
        "dataset.n_train=100",
        *QUICK[1:],
        "trainer=smoke",
        "hydra.sweep.dir=s",
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path / "broken")},
    )
    assert done.returncode != 0, done.stderr[-3000:]
    assert "Writing the sweep's summary failed (ImportError: broken)" in done.stderr
    assert "seqlab-report" in done.stderr and "Traceback" not in done.stderr
    for job in ("0", "1"):  # the jobs themselves finished
        assert json.loads((tmp_path / "s" / job / "results.json").read_text())["status"] == "ok"


def _mnist(path, x_train=None, y_train=None, x_test=None, y_test=None):
    rng = np.random.default_rng(0)
    arrays = {
        "x_train": rng.integers(0, 256, (40, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, 40, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (20, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, 20, dtype=np.uint8),
    }
    given = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    arrays.update({k: v for k, v in given.items() if v is not None})
    np.savez(path, **arrays)
    return path


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (lambda p: _mnist(p, y_train=np.full(40, 255, np.uint8)), "labels must be whole"),
        (lambda p: _mnist(p, y_test=np.full(20, -1, np.int64)), "labels must be whole"),
        (lambda p: _mnist(p, x_train=np.zeros((40, 0, 28), np.uint8)), "no time steps"),
        (lambda p: _mnist(p, x_test=np.ones((20, 28, 28), np.complex64)), "complex64 values"),
        (lambda p: _mnist(p, y_test=np.zeros((20, 2), np.int64)), "one target per example"),
        (  # was a memoryview TypeError traceback
            lambda p: _mnist(p, x_test=np.zeros((0, 28, 28), np.uint8), y_test=np.zeros(0, int)),
            "test split .* is empty",
        ),
        (  # was trained on 28 steps and tested on 20 without a word
            lambda p: _mnist(p, x_test=np.zeros((20, 20, 28), np.uint8)),
            r"shape \(20, 28\) per example and the training split's have \(28, 28\)",
        ),
    ],
)
def test_malformed_image_files_are_refused_in_the_data_check(compose_cfg, tmp_path, make, said):
    path = make(tmp_path / "mnist.npz")
    with pytest.raises(DataError, match=said) as info:
        _prepare(compose_cfg, "dataset=mnist", f"dataset.path={path}")
    assert str(path) in str(info.value)


def _prepare(compose_cfg, *overrides):
    from seqlab.backends.devices import DeviceInfo
    from seqlab.runs.setup import prepare

    return prepare(validate(compose_cfg(*overrides)), DeviceInfo("cpu", "cpu", False, None, "x"))


def _imdb_raw(path, reviews, y_test=None):
    x = np.empty(len(reviews), dtype=object)
    x[:] = reviews
    np.savez(
        path,
        x_train=x,
        y_train=np.zeros(len(reviews), np.int64),
        x_test=x,
        y_test=np.zeros(len(reviews), np.int64) if y_test is None else y_test,
    )
    return path


@pytest.mark.parametrize(
    ("reviews", "y_test", "said"),
    [
        ([[1, 2, 3], [[4, 5], [6]], [7, 8]], None, "review 1 of x_train"),
        ([[1, 2, 3], [4, 5], [7, 8]], np.zeros((3, 2), np.int64), "one label per review"),
    ],
)
def test_malformed_imdb_files_are_refused_with_one_paragraph(
    compose_cfg, tmp_path, reviews, y_test, said
):
    path = _imdb_raw(tmp_path / "imdb.npz", reviews, y_test)
    with pytest.raises(DataError, match=said):
        _prepare(compose_cfg, "dataset=imdb", f"dataset.path={path}")


def test_an_empty_trust_is_refused_and_never_trusts_a_bare_import_path(
    tmp_path, capsys, monkeypatch
):
    from seqlab.cli.predict import main as predict_main
    from seqlab.models.cells.custom import check_trusted, trusted_modules

    _record_with_cell(tmp_path / "run", {"_target_": "this.Cell"})
    assert predict_main([str(tmp_path / "run"), "--trust", ""]) == 2
    assert "names an empty module" in capsys.readouterr().err and "this" not in sys.modules
    monkeypatch.setenv("SEQLAB_TRUST", " , ")
    with pytest.raises(ConfigError, match="is not trusted"):  # "Cell" has the module ""
        check_trusted("Cell", trusted_modules([""]), "here")


@pytest.mark.e2e
def test_a_single_run_into_a_sweeps_job_folder_is_refused(tmp_path):
    sweep = tmp_path / "s"
    sweep.mkdir()
    (sweep / "sweep.json").write_text(json.dumps({"jobs": [{"overrides": [], "folder": "0"}]}))
    done = run_cli("trainer=smoke", "hydra.run.dir=s/0", cwd=tmp_path)
    assert done.returncode == 2 and "lies inside the sweep folder" in done.stderr
    assert not (sweep / "0").exists()


@pytest.mark.e2e
@pytest.mark.parametrize(
    "launcher", [[], ["hydra/launcher=interleaved"]], ids=["basic", "interleaved"]
)
def test_a_sweep_rerun_on_a_replaced_data_file_is_not_ok(tmp_path, launcher):
    """Each job refused its finished run on the new file, and the summary still said
    '2 ok' with the old numbers and exit 0."""
    from .keras_fixtures import write_imdb_npz

    data = tmp_path / "imdb.npz"
    write_imdb_npz(data, n_train=120, n_test=40, seed=0)
    args = ["-m", "model=lstm,gru", "dataset=imdb", f"dataset.path={data}", "dataset.maxlen=20",
            *QUICK[1:], "trainer=smoke", *launcher, "hydra.sweep.dir=s"]  # fmt: skip
    assert run_cli(*args, cwd=tmp_path).returncode == 0
    write_imdb_npz(data, n_train=120, n_test=40, seed=1)  # same name, other reviews
    again = run_cli(*args, cwd=tmp_path)
    assert again.returncode == 1, again.stdout[-2000:]
    assert "0 ok, 0 failed, 2 refused" in " ".join(again.stdout.split())
    with open(tmp_path / "s" / "summary.csv") as f:
        rows = list(csv.DictReader(f))
    assert [r["status"] for r in rows] == ["refused"] * 2 and "other data" in rows[0]["error"]
    write_imdb_npz(data, n_train=120, n_test=40, seed=0)  # the original back: ok again
    assert run_cli(*args, cwd=tmp_path).returncode == 0
