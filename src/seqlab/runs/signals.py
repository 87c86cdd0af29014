"""SIGINT and SIGTERM during a run: recorded as "interrupted", never lost, never doubled.

Within `interruptible()` both signals raise `Interrupted` at once (so a long data load
or a tracing step stops too) and are remembered: Python discards an exception raised
by a signal handler while it runs a garbage-collector or weakref callback, so the run
also checks the remembered signal after every batch and before it records success
(`check`). While the interruption is being recorded, further signals are ignored
(`recording`), so a second Ctrl-C cannot cut the record short.
"""

from __future__ import annotations

import contextlib
import signal
import threading

SIGNALS = (signal.SIGINT, signal.SIGTERM)
# The exit status of a process stopped by either (the shell's 128 + signal number).
EXIT_CODES = {"SIGINT": 130, "SIGTERM": 143}
_pending: list[str] = []


class Interrupted(BaseException):
    """A SIGINT or SIGTERM; a BaseException, like KeyboardInterrupt, so that no
    `except Exception` in between swallows it."""

    def __init__(self, signal_name: str) -> None:
        super().__init__(signal_name)
        self.signal_name = signal_name


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
    previous = {sig: signal.signal(sig, interrupt_handler) for sig in SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def check() -> None:
    """Raise `Interrupted` if a signal arrived whose exception Python swallowed."""
    if _pending:
        raise Interrupted(_pending[0])


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
