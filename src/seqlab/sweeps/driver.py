"""The process that drives a sweep, and the one way a signal stops it.

SIGINT or SIGTERM to the driver, with any launcher: the jobs still running on this host
are passed the signal (each records `interrupted` and resumes later), the driver waits
for them (at most `STOP_WAIT_S`), the launcher's stop runs (Ray: its cluster), the
summary is written once, by the driver, and the process exits 130/143. A job that runs
inside the driver (Hydra's basic launcher) catches the signal itself, records its
interruption, and then asks the driver to stop (`stop_here`).

The handler starts a thread that does the work and then blocks the main thread until
that thread exits the process: an exception raised from the handler would surface
inside a launcher's C code (Ray: a SystemError traceback), and a main thread left to
run on raised the launcher's own error (joblib's TerminatedWorkerError) with a
traceback before the summary was written (both measured).
"""

from __future__ import annotations

import contextlib
import os
import platform
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from seqlab.errors import Exit

STOP_WAIT_S = 30.0  # how long the jobs get to record their interruption
SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Driver:
    """The sweep this process drives: where it writes, what it compares, how it stops."""

    def __init__(
        self, sweep_dir: Path, baseline: str | None, stop_launcher: Callable[[], None] | None
    ) -> None:
        self.sweep_dir = Path(sweep_dir)
        self.baseline = baseline
        self.stop_launcher = stop_launcher
        self._stopping = threading.Event()

    def install(self) -> None:
        """From now on SIGINT and SIGTERM stop the sweep (again after a launcher's set-up
        replaced the handlers: ray.init makes SIGTERM exit at once)."""
        global _driver
        _driver = self
        for sig in SIGNALS:
            signal.signal(sig, self._on_signal)

    def _on_signal(self, signum: int, frame: object) -> None:
        if self._stopping.is_set():  # a second signal while stopping: already handled
            return
        self._stopping.set()
        name = signal.Signals(signum).name
        threading.Thread(target=self.stop, args=(name, True), daemon=True).start()
        while True:  # the thread exits the process; the main thread goes nowhere
            time.sleep(3600)

    def stop(self, name: str, jobs_elsewhere: bool = False) -> None:
        """Stop the sweep after `name` (SIGINT or SIGTERM): jobs, launcher, summary, exit."""
        from seqlab.sweeps.summary import summarise_interrupted

        self._stopping.set()
        try:
            if jobs_elsewhere:
                _stop_local_jobs(self.sweep_dir, getattr(signal, name))
                # The launcher's idle workers (joblib's loky processes) would outlive the
                # driver, holding its output pipes open: their jobs recorded, they go.
                _end_children()
            if self.stop_launcher is not None:
                # A courtesy (Ray's agents would outlive the driver); the summary and the
                # exit status are not.
                with contextlib.suppress(Exception):
                    self.stop_launcher()
            summarise_interrupted(name, self.sweep_dir, self.baseline)
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(Exit.for_signal(name))  # from a thread: the main one may be in C code


_driver: Driver | None = None


def stop_here(name: str) -> None:
    """A job that ran in this process recorded its interruption by `name`: if this process
    drives the sweep, stop the sweep (summary, exit); a job in a worker process of a
    launcher just exits, and its driver writes the summary."""
    if _driver is not None:
        _driver.stop(name)
    sys.exit(Exit.for_signal(name))


def _children() -> list[int]:
    """The pids of this process's children (Linux /proc; none elsewhere)."""
    me, found = os.getpid(), []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == me:  # the field after the state is the parent's pid
            found.append(int(entry.name))
    return found


def _end_children(wait_s: float = 5.0) -> None:
    """SIGTERM this process's children, then SIGKILL those still there after `wait_s`."""
    children = _children()
    for pid in children:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline and any(_alive(pid) for pid in children):
        time.sleep(0.1)
    for pid in children:
        if _alive(pid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"  # a zombie has ended; only its parent's wait is missing


def _stop_local_jobs(sweep_dir: Path, signum: int) -> None:
    """Send `signum` to every job of the sweep running on this host, and wait (at most
    STOP_WAIT_S) until their folders are free. Jobs elsewhere stop with the driver."""
    from seqlab.records.files import RESULTS_FILE
    from seqlab.records.folder import lock_is_held
    from seqlab.records.record import UnreadableRecord, load_record
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
