"""SIGINT/SIGTERM on the process that drives a sweep whose jobs run in other processes.

With joblib, submitit_local or Ray the driver only waits; killed by SIGTERM it used to
die silently while joblib's workers trained on (measured: two jobs still running, no
summary). Here the driver passes the signal on to the jobs running on this host (each
records `interrupted` and resumes later), waits for them, writes the summary and exits
130/143. The handler itself only starts a thread: an exception raised from it would
surface inside Ray's C code (measured: a SystemError traceback, no summary).
"""

from __future__ import annotations

import os
import platform
import signal
import sys
import threading
import time
from pathlib import Path

STOP_WAIT_S = 30.0  # how long the jobs get to record their interruption
_stopping: list[str] = []


def stop_on_signals(sweep_dir: Path, baseline: str | None) -> None:
    """From now on SIGINT and SIGTERM stop the sweep as described above."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda signum, _frame: _on_signal(signum, sweep_dir, baseline))


def _on_signal(signum: int, sweep_dir: Path, baseline: str | None) -> None:
    if _stopping:  # a second signal while stopping: the first one is being handled
        return
    name = signal.Signals(signum).name
    _stopping.append(name)
    threading.Thread(target=_stop_sweep, args=(signum, sweep_dir, baseline), daemon=True).start()


def _stop_sweep(signum: int, sweep_dir: Path, baseline: str | None) -> None:
    from seqlab.runs.signals import EXIT_CODES
    from seqlab.sweeps.callback import summarise_interrupted

    name = signal.Signals(signum).name
    _stop_local_jobs(sweep_dir, signum)
    summarise_interrupted(name, sweep_dir, baseline)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(EXIT_CODES[name])  # from this thread: the main one may be inside C code


def _stop_local_jobs(sweep_dir: Path, signum: int) -> None:
    """Send `signum` to every job of the sweep running on this host, and wait (at most
    STOP_WAIT_S) until their folders are free. Jobs elsewhere stop with the driver."""
    from seqlab.runs.files import RESULTS_FILE, UnreadableRecord, load_record
    from seqlab.runs.folder import lock_is_held
    from seqlab.sweeps.rows import find_runs

    running = []
    for run_dir in find_runs(sweep_dir):
        try:
            record = load_record(run_dir / RESULTS_FILE) or {}
        except UnreadableRecord:
            continue
        pid = record.get("pid")
        mine = record.get("host") == platform.node() and isinstance(pid, int)
        if record.get("status") != "running" or not mine or pid == os.getpid():
            continue
        if lock_is_held(run_dir):  # a live process holds it: the recorded one
            try:
                os.kill(pid, signum)
                running.append(run_dir)
            except (ProcessLookupError, PermissionError):
                pass
    deadline = time.monotonic() + STOP_WAIT_S
    while running and time.monotonic() < deadline:
        running = [run_dir for run_dir in running if lock_is_held(run_dir)]
        time.sleep(0.2)
