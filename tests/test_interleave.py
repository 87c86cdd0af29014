"""hydra/launcher=interleaved: a comparison's jobs live at once and compute in turns.

Real processes, real signals: the jobs train exactly as alone, their chunks interleave
round by round, every job is accounted for after a crash, a hang, Ctrl-C or SIGTERM,
and nothing is left running."""

from __future__ import annotations

import csv
import json
import signal
import time

import numpy as np
import pytest

from .conftest import run_cli, start_cli, wait_for

pytestmark = pytest.mark.e2e

QUICK = ["dataset.limit=300", "model.units=4", "model.layers=1", "trainer.progress=false"]
INTERLEAVED = ["hydra/launcher=interleaved", "hydra.launcher.chunk_steps=2"]


def _record(sweep, job):
    return json.loads((sweep / str(job) / "results.json").read_text())


def _summary(sweep):
    with open(sweep / "summary.csv") as f:
        return list(csv.DictReader(f))


def _weights(folder):
    import keras

    return keras.saving.load_model(folder / "model.keras", compile=False).get_weights()


def test_interleaved_jobs_take_turns_and_train_exactly_as_alone(tmp_path):
    args = ["-m", "model=lstm,gru", *QUICK, "trainer.epochs=3", 'report.baseline="model=lstm"']
    done = run_cli(*args, *INTERLEAVED, "hydra.launcher.seed=5", "hydra.sweep.dir=i", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    alone = run_cli(*args, "hydra.sweep.dir=b", cwd=tmp_path)
    assert alone.returncode == 0, alone.stderr[-3000:]
    sweep = tmp_path / "i"
    records = [_record(sweep, job) for job in (0, 1)]
    families = {r["timing"]["chunks"]["family"] for r in records}
    assert len(families) == 1 and all(r["env"]["launcher"]["alive"] == 2 for r in records)
    rounds = [{entry[0] for entry in r["timing"]["chunks"]["rounds"]} for r in records]
    assert len(rounds[0] & rounds[1]) >= 3  # chunks of the same rounds: adjacent in time
    # Each round, one job first and the other second, in a random order (seeded here by
    # hydra.launcher.seed=5, recorded): each job is first in some rounds.
    places = [{entry[0]: entry[5] for entry in r["timing"]["chunks"]["rounds"]} for r in records]
    both = sorted(set(places[0]) & set(places[1]))
    assert all({places[0][n], places[1][n]} == {0, 1} for n in both)
    assert {places[0][n] for n in both} == {0, 1}
    assert {r["env"]["launcher"]["turn_seed"] for r in records} == {"5:0"}
    # Without a seed, the first launch warms the baseline (model=lstm) up first; later
    # launches, or seeds, alternate it (tests/test_turns.py).
    assert [r["timing"]["chunks"]["warmup_place"] for r in records] == [0, 1]
    assert all(r["timing"]["waited_s"] > 0 for r in records)  # each waited for the other
    assert all(0 < r["timing"]["fit_s"] < r["timing"]["total_s"] for r in records)
    for job in (0, 1):  # the same data order and end weights as under the basic launcher
        assert _record(tmp_path / "b", job)["start"] == records[job]["start"]
        for mine, theirs in zip(_weights(sweep / str(job)), _weights(tmp_path / "b" / str(job)),
                                strict=True):  # fmt: skip
            np.testing.assert_array_equal(mine, theirs)
    gru = next(row for row in _summary(sweep) if row["model"] == "gru")
    assert gru["launcher"] == "interleaved" and gru["jobs_at_once"] == "1"
    assert gru["speedup_low"] and "one interleaved pair" in gru["speedup_method"]
    assert gru["busy"] in ("True", "False")


def test_a_comparison_larger_than_the_group_is_refused_before_any_folder(tmp_path):
    args = ["-m", "impl=layer,cell_loop,manual", *QUICK, 'report.baseline="impl=layer"']
    done = run_cli(*args, *INTERLEAVED, "hydra.launcher.group=2", "hydra.sweep.dir=s", cwd=tmp_path)
    assert done.returncode == 2 and "hydra.launcher.group to 3" in done.stderr
    assert not (tmp_path / "s").exists() and "Traceback" not in done.stderr


def test_a_crashed_job_and_a_hung_one_are_accounted_for_and_the_others_go_on(tmp_path):
    # The second job's loss becomes NaN in its first epoch (as in test_experiment).
    nan = [
        "dataset=adding",
        "dataset.length=6",
        "dataset.n_train=200",
        "trainer.optimizer=sgd",
        "model.activation=linear",
        "model.cell=simple_rnn",
        "trainer.progress=false",
    ]
    crash = ["-m", "trainer.lr=0.001,1e30", *nan, "trainer.epochs=3",
             'report.baseline="trainer.lr=0.001"', *INTERLEAVED, "hydra.sweep.dir=c"]  # fmt: skip
    done = run_cli(*crash, cwd=tmp_path)
    assert done.returncode == 1, done.stderr[-3000:]
    statuses = [_record(tmp_path / "c", job)["status"] for job in (0, 1)]
    assert statuses == ["ok", "failed"]
    hung = run_cli("-m", "model=lstm,gru", *QUICK, *INTERLEAVED, "hydra.launcher.timeout_s=0.5",
                   "hydra.sweep.dir=h", cwd=tmp_path)  # fmt: skip
    assert hung.returncode == 1 and "kept its turn past hydra.launcher.timeout_s=0.5" in hung.stderr
    rows = _summary(tmp_path / "h")
    assert len(rows) == 2 and all(row["status"] != "ok" for row in rows)
    assert "Traceback" not in hung.stderr + done.stderr


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_every_job_and_the_same_command_finishes_them(tmp_path, sig):
    args = ["-m", "model=lstm,gru", *QUICK, "trainer.epochs=40", *INTERLEAVED, "hydra.sweep.dir=s"]
    process = start_cli(*args, cwd=tmp_path)
    sweep = tmp_path / "s"

    def both_training() -> bool:
        return all(_record(sweep, job)["epochs_finished"] >= 2 for job in (0, 1))

    assert wait_for(both_training, 300, process), process.communicate()[1][-3000:]
    pids = [_record(sweep, job)["pid"] for job in (0, 1)]
    process.send_signal(sig)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 128 + sig, err[-3000:]
    assert [_record(sweep, job)["status"] for job in (0, 1)] == ["interrupted"] * 2
    from seqlab.sweeps.driver import _alive

    time.sleep(1)
    assert not any(_alive(pid) for pid in pids) and "Traceback" not in err
    again = run_cli(*args, "trainer.epochs=40", cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    assert [_record(sweep, job)["status"] for job in (0, 1)] == ["ok", "ok"]
    assert all(_record(sweep, job)["timing"]["resumed"] for job in (0, 1))
