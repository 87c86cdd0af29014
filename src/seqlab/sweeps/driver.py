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

The parked main thread may hold a lock: the import lock (a signal that came while
`import matplotlib` ran deadlocked the stop thread, 3 of 3 tries with joblib), a
logging handler's, a stream's. So that thread imports nothing (what it needs is
imported by `install`), prints with `os.write`, and writes the summary in a child
process, which holds none of this process's locks.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from seqlab.errors import Exit
from seqlab.records.signals import SIGNALS

STOP_WAIT_S = 30.0  # how long the jobs get to record their interruption
SUMMARY_WAIT_S = 300.0  # how long the child process gets to write the summary


class Driver:
    """The sweep this process drives: where it writes, what it compares, how it stops."""

    def __init__(
        self, sweep_dir: Path, baseline: str | None, stop_launcher: Callable[[], None] | None
    ) -> None:
        self.sweep_dir = Path(sweep_dir)
        self.baseline = baseline
        self.stop_launcher = stop_launcher
        self._stopping = threading.Event()
        self._summarised = threading.Event()

    def summarised(self) -> None:
        """The sweep's summary is written: a signal from now on only ends the process
        (it printed the summary twice with joblib, or died without a word)."""
        self._summarised.set()

    def install(self) -> None:
        """From now on SIGINT and SIGTERM stop the sweep (again after a launcher's set-up
        replaced the handlers: ray.init makes SIGTERM exit at once)."""
        global _driver
        _driver = self
        # What the stop thread uses, imported while no lock can be held by a parked thread.
        import seqlab.records.files
        import seqlab.records.folder
        import seqlab.records.record
        import seqlab.reports.rows
        import seqlab.reports.summary  # noqa: F401

        for sig in SIGNALS:
            signal.signal(sig, self._on_signal)
        from seqlab.records.signals import mark_driver

        mark_driver()  # jobs in other processes stop when this one is gone

    def _on_signal(self, signum: int, frame: object) -> None:
        if self._stopping.is_set():  # a second signal while stopping: already handled
            return
        self._stopping.set()
        name = signal.Signals(signum).name
        if self._summarised.is_set():  # every job has ended and the summary is written
            _write_now(2, f"seqlab: interrupted by {name} after the sweep ended; its summary "
                          f"in {self.sweep_dir} is complete.\n")  # fmt: skip
            _end_descendants()  # a launcher's idle workers
            os._exit(Exit.for_signal(name))
        threading.Thread(target=self.stop, args=(name, True), daemon=True).start()
        while True:  # the thread exits the process; the main thread goes nowhere
            time.sleep(3600)

    def stop(self, name: str, jobs_elsewhere: bool = False) -> None:
        """Stop the sweep after `name` (SIGINT or SIGTERM): jobs, launcher, summary, exit.

        `jobs_elsewhere`: called from the signal handler's thread while the main thread
        is parked (see the module's docstring); otherwise from the main thread, after a
        job that ran in this process recorded its interruption."""
        from seqlab.reports.summary import interrupted_paragraph, summarise_interrupted

        self._stopping.set()
        try:
            if jobs_elsewhere:
                _write_now(2, f"seqlab: {interrupted_paragraph(name, self.sweep_dir)}\n")
                _stop_local_jobs(self.sweep_dir, getattr(signal, name))
                # The launcher's idle workers (joblib's loky processes) would outlive the
                # driver, holding its output pipes open: their jobs recorded, they go.
                _end_descendants()
            if self.stop_launcher is not None:
                # A courtesy (Ray's agents would outlive the driver); the summary and the
                # exit status are not.
                with contextlib.suppress(Exception):
                    self.stop_launcher()
            if jobs_elsewhere:
                _flush_streams()
                _summarise_in_child(self.sweep_dir, self.baseline)
            else:
                summarise_interrupted(name, self.sweep_dir, self.baseline)
        finally:
            if not jobs_elsewhere:
                _flush_streams()
            os._exit(Exit.for_signal(name))  # from a thread: the main one may be in C code


_driver: Driver | None = None


def summary_written() -> None:
    """Tell this process's driver (if it drives a sweep) that the summary is written."""
    if _driver is not None:
        _driver.summarised()


def stop_here(name: str) -> None:
    """A job that ran in this process recorded its interruption by `name`: if this process
    drives the sweep, stop the sweep (summary, exit); a job in a worker process of a
    launcher just exits, and its driver writes the summary."""
    from seqlab.records.signals import orphaned

    if _driver is not None:
        _driver.stop(name)
    if orphaned():  # no driver to report to: a launcher's idle worker would linger, holding
        _flush_streams()  # its memory; the job's record is written, so the process ends
        os._exit(Exit.for_signal(name))
    sys.exit(Exit.for_signal(name))


def _descendants() -> list[int]:
    """The pids of this process's children, their children, and so on (Linux /proc;
    none elsewhere). submitit's local jobs run two levels below the driver."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        # the field after the state is the parent's pid
        parents.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [os.getpid()]
    while todo:
        children = parents.get(todo.pop(), [])
        found += children
        todo += children
    return found


def _end_descendants(wait_s: float = 5.0) -> None:
    """SIGTERM this process's descendants, then SIGKILL those still there after `wait_s`.

    A job that got the driver's signal before its own handler was in place (submitit's
    job process ignores SIGTERM until then: "Bypassing signal SIGTERM") would otherwise
    train on after the driver exits, and its record would contradict the summary."""
    descendants = _descendants()
    for pid in descendants:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline and any(_alive(pid) for pid in descendants):
        time.sleep(0.1)
    for pid in _descendants() + descendants:
        if _alive(pid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)


def _write_now(fd: int, text: str) -> None:
    """Write to a file descriptor without Python's stream objects (and their locks)."""
    with contextlib.suppress(OSError):
        os.write(fd, text.encode("utf-8", "replace"))


def _flush_streams(wait_s: float = 2.0) -> None:
    """Flush stdout and stderr, unless a parked thread holds a stream's lock."""

    def flush() -> None:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()

    flusher = threading.Thread(target=flush, daemon=True)
    flusher.start()
    flusher.join(wait_s)


def _summarise_in_child(sweep_dir: Path, baseline: str | None) -> None:
    """Write and print the sweep's summary from a fresh Python process, sharing this
    one's stdout and stderr; in its own session, so a second Ctrl-C at the terminal
    does not break it off half written."""
    code = (
        "import json, sys; from pathlib import Path; "
        "from seqlab.reports.summary import finish_quietly; "
        "finish_quietly(Path(sys.argv[1]), json.loads(sys.argv[2]))"
    )
    argv = [sys.executable, "-c", code, str(sweep_dir), json.dumps(baseline)]
    try:
        subprocess.run(argv, timeout=SUMMARY_WAIT_S, start_new_session=True, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        _write_now(2, f"seqlab: no summary written ({exc}); `seqlab-report {sweep_dir}` "
                      "writes it.\n")  # fmt: skip


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
    from seqlab.reports.rows import find_runs

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
