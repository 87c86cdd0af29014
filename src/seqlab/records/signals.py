"""SIGINT and SIGTERM during a run: recorded as "interrupted", never lost, never doubled.

Within `interruptible()` both signals raise `Interrupted` at once (so a long data load
or a tracing step stops too) and are remembered: Python discards an exception raised
by a signal handler while it runs a garbage-collector or weakref callback (JAX's GC
callback printed "Exception ignored ..." and the job went on, measured), so the run
also checks the remembered signal after every batch and before it records success
(`check`), and such a swallowed exception is not printed: the signal is delivered
again a moment later, when it can raise where the run will see it (long phases
without batches, such as JAX's compilation, have no `check`). While the interruption
is being recorded, further signals are ignored (`recording`), so a second Ctrl-C
cannot cut the record short; while a finished run's record is written they wait until
it is whole (`deferred`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading

SIGNALS = (signal.SIGINT, signal.SIGTERM)
REDELIVER_S = 0.05  # how soon a swallowed signal is sent again
MAX_REDELIVERIES = 20
_pending: list[str] = []
_redelivered: list[str] = []
_active = threading.Event()  # inside interruptible(): a redelivered signal may raise


class Interrupted(BaseException):
    """A SIGINT or SIGTERM; a BaseException, like KeyboardInterrupt, so that no
    `except Exception` in between swallows it."""

    def __init__(self, signal_name: str, after: str | None = None) -> None:
        super().__init__(signal_name)
        self.signal_name = signal_name
        # Set when the run had finished and recorded it: what the signal cut short.
        self.after = after


def interrupt_handler(signum, frame) -> None:
    """Raise `Interrupted` for SIGINT/SIGTERM (and remember it, see `check`)."""
    name = signal.Signals(signum).name
    _pending.append(name)
    raise Interrupted(name)


@contextlib.contextmanager
def interruptible():
    """Within the block, SIGINT and SIGTERM raise `Interrupted` (and are remembered)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signals reach the main thread only (e.g. a launcher's worker thread)
        return
    _pending.clear()
    _redelivered.clear()
    previous = {sig: signal.signal(sig, interrupt_handler) for sig in SIGNALS}
    hook = sys.unraisablehook
    sys.unraisablehook = _swallowed(hook)
    _active.set()
    try:
        yield
    finally:
        _active.clear()
        sys.unraisablehook = hook
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _swallowed(hook):
    """An unraisable-exception hook that, for a swallowed `Interrupted`, says nothing and
    sends the signal again shortly (everything else goes to `hook`)."""

    def unraisable(event) -> None:
        if not isinstance(event.exc_value, Interrupted):
            hook(event)
            return
        if len(_redelivered) < MAX_REDELIVERIES:
            name = event.exc_value.signal_name
            _redelivered.append(name)
            signum = getattr(signal, name)
            threading.Timer(REDELIVER_S, _deliver_again, (signum,)).start()

    return unraisable


def _deliver_again(signum: int) -> None:
    if _active.is_set():  # only into the run that swallowed it, never after it ended
        os.kill(os.getpid(), signum)


def check() -> None:
    """Raise `Interrupted` if a signal arrived whose exception Python swallowed."""
    if _pending:
        raise Interrupted(_pending[0])


@contextlib.contextmanager
def deferred():
    """Within the block, SIGINT and SIGTERM wait: the block runs to its end (a record is
    written whole), and then the first signal that came raises `Interrupted`."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    came: list[str] = []

    def remember(signum, frame) -> None:
        came.append(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, remember) for sig in SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if came:
        raise Interrupted(came[0])


@contextlib.contextmanager
def recording():
    """Ignore SIGINT and SIGTERM while an interruption is being written down."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


# The process driving a sweep, as its jobs in other processes see it ("host:pid:start").
DRIVER_ENV = "SEQLAB_DRIVER"
ORPHAN_POLL_S = 2.0
_watching: list[int] = []
_orphaned = threading.Event()


def orphaned() -> bool:
    """Whether this job's sweep driver is gone (`stop_when_orphaned` stopped the job)."""
    return _orphaned.is_set()


def process_start(pid: int) -> str | None:
    """The kernel's start time of `pid` (clock ticks since boot), which tells a process
    from a later one that got its pid; None when there is no such process (or no /proc)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return fields[19] if fields[0] != "Z" else None  # field 22 of stat; a zombie has ended


def mark_driver() -> None:
    """Say in the environment which process drives the sweep, for the jobs it starts."""
    import platform

    pid = os.getpid()
    os.environ[DRIVER_ENV] = f"{platform.node()}:{pid}:{process_start(pid)}"


def stop_when_orphaned() -> None:
    """In a job that runs in another process than its sweep's driver on the same host:
    a thread that sends this process SIGTERM when the driver is gone (SIGKILLed, out of
    memory), so the job records its interruption and ends instead of training on for
    nobody (a SIGKILLed joblib driver left its workers training for 20 minutes, about
    800 MB each). A driver that ends normally stops its jobs first."""
    import platform

    host, _, rest = os.environ.get(DRIVER_ENV, "").partition(":")
    pid_text, _, start = rest.partition(":")
    if host != platform.node() or not pid_text.isdigit() or int(pid_text) == os.getpid():
        return
    driver = int(pid_text)
    if _watching:  # once per process (a launcher's worker runs job after job)
        return
    _watching.append(driver)

    def watch() -> None:
        import time

        while process_start(driver) == start:
            time.sleep(ORPHAN_POLL_S)
        _orphaned.set()
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="seqlab-orphan-watch", daemon=True).start()
