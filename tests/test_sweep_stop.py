"""How a signal stops a sweep's driver, whatever its main thread was doing, and with it
every process the sweep started (real processes, real signals)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from .test_summary import write_job

pytestmark = pytest.mark.e2e

# A driver whose main thread is inside `import matplotlib.pyplot` (held there, with the
# module's import lock, as a first chart import holds it) when the signal comes.
HELD_IN_AN_IMPORT = textwrap.dedent(
    """
    import importlib.abc, sys, time
    from pathlib import Path
    from seqlab.sweeps.driver import Driver

    class Slow(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name == "matplotlib.pyplot":
                print("importing", flush=True)
                time.sleep(120)
            return None

    Driver(Path(sys.argv[1]), None, None).install()
    sys.meta_path.insert(0, Slow())
    import matplotlib.pyplot
    """
)


def test_a_signal_while_the_driver_imports_still_ends_with_a_summary(tmp_path):
    """The stop thread once waited forever for the import lock the parked main thread
    held (3 of 3 tries with joblib: only SIGKILL ended it)."""
    sweep = tmp_path / "s"
    write_job(sweep, 0, ["model=lstm"], 10.0)
    write_job(sweep, 1, ["model=gru"], 8.0)
    (sweep / "sweep.json").write_text(json.dumps({"jobs": None}))
    driver = subprocess.Popen(
        [sys.executable, "-c", HELD_IN_AN_IMPORT, str(sweep)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert driver.stdout.readline().strip() == "importing"
        driver.send_signal(signal.SIGTERM)
        out, err = driver.communicate(timeout=90)
    finally:
        if driver.poll() is None:
            driver.kill()
    assert driver.returncode == 143, err[-3000:]
    assert "interrupted by SIGTERM" in err and "Traceback" not in err
    assert "2 ok, 0 failed" in out and (sweep / "summary.md").exists()


ENDS_ITS_DESCENDANTS = textwrap.dedent(
    """
    import subprocess, sys, time
    from seqlab.sweeps.driver import _alive, _descendants, _end_descendants

    # A job two levels down that ignores SIGTERM, as submitit's job process does until
    # seqlab's handler is in place ("Bypassing signal SIGTERM").
    subprocess.Popen(["sh", "-c", "sh -c 'trap \\"\\" TERM; sleep 120' & wait"])
    while len(_descendants()) < 3:
        time.sleep(0.05)
    found = _descendants()
    _end_descendants(wait_s=1.0)
    time.sleep(0.5)  # SIGKILL is delivered, not waited for
    print(len(found), sum(_alive(pid) for pid in found))
    """
)


def test_the_driver_ends_every_process_below_it_not_only_its_children(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", ENDS_ITS_DESCENDANTS],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found, alive = (int(n) for n in done.stdout.split())
    assert found >= 3 and alive == 0  # sh, its sh, and the sleep that ignored SIGTERM


def test_a_signal_while_the_finished_run_is_recorded_waits_for_the_record(tmp_path):
    """A signal during the final write said "before a run started; nothing was recorded"
    and left the record `running`."""
    script = textwrap.dedent(
        """
        import os, signal, sys
        import seqlab.runs.experiment as experiment

        real = experiment._write_record

        def write(output_dir, record):
            if record.status == "ok":
                os.kill(os.getpid(), signal.SIGTERM)
            real(output_dir, record)

        experiment._write_record = write
        from seqlab.cli.main import main

        sys.argv = ["seqlab", *sys.argv[1:]]
        main()
        """
    )
    args = ["trainer=smoke", "trainer.progress=false", "model.units=4", "model.layers=1"]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(
        [sys.executable, "-c", script, *args, "hydra.run.dir=r"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 143, done.stderr[-3000:]
    assert json.loads((tmp_path / "r" / "results.json").read_text())["status"] == "ok"
    assert "after the run had ended, and its results.json says ok" in done.stderr
    assert "nothing was recorded" not in done.stderr
    assert not (tmp_path / "r" / "checkpoint").exists()


def test_an_empty_run_folder_option_is_refused_and_the_current_folder_left_alone(tmp_path):
    from .conftest import run_cli

    (tmp_path / "mine.txt").write_text("the user's")
    done = run_cli("hydra.run.dir=", "trainer=smoke", "trainer.progress=false", cwd=tmp_path)
    assert done.returncode == 2, done.stderr[-3000:]
    assert "hydra.run.dir is empty" in done.stderr and "Traceback" not in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.txt"]


AFTER_THE_SUMMARY = textwrap.dedent(
    """
    import os, signal, sys, time
    from pathlib import Path
    from seqlab.sweeps.driver import Driver, summary_written

    Driver(Path(sys.argv[1]), None, None).install()
    summary_written()
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(30)
    """
)


def test_a_signal_after_the_summary_only_ends_the_process_and_says_so(tmp_path):
    """It printed the summary a second time (joblib) or died without a word (basic)."""
    sweep = tmp_path / "s"
    write_job(sweep, 0, ["model=lstm"], 10.0)
    done = subprocess.run([sys.executable, "-c", AFTER_THE_SUMMARY, str(sweep)],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 143, done.stderr[-2000:]
    assert "after the sweep ended" in done.stderr and "summary" not in done.stdout
    assert not (sweep / "summary.md").exists()  # not written a second time
