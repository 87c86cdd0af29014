"""User-facing errors, exit statuses, and the one printer of an error paragraph.

Every error a user can cause carries one paragraph saying what was wrong, what is
allowed and how to fix it; `refuse` prints it (never a traceback) and exits with the
status that says what happened (`Exit`).
"""

from __future__ import annotations

import enum
import sys
from typing import NoReturn


class Exit(enum.IntEnum):
    """seqlab's exit statuses (the signal ones are the shell's 128 + signal number)."""

    OK = 0
    FAILED = 1  # a run failed, or a sweep or report has a job that is not ok
    USER_ERROR = 2  # the user must change something: config, data, device, folder
    SIGINT = 130  # interrupted; the run recorded it and resumes when started again
    SIGTERM = 143

    @classmethod
    def for_signal(cls, name: str) -> Exit:
        """The status of a process stopped by SIGINT or SIGTERM."""
        return cls[name] if name in ("SIGINT", "SIGTERM") else cls.SIGINT


class SeqlabError(Exception):
    """An error caused by the user's input; printed as a message, never as a traceback."""


class ConfigError(SeqlabError):
    """A configuration value is out of range or inconsistent with another one."""


class DataError(SeqlabError):
    """A dataset file is missing, corrupt, unsafe, or not in the expected format."""


class DeviceError(SeqlabError):
    """The requested device is not available."""


class FolderError(SeqlabError):
    """An output folder cannot hold this run: another experiment, a lock, a bad path."""


class LauncherError(SeqlabError):
    """The launcher cannot start: e.g. Ray cannot start or join its cluster."""


class MissingExtra(ConfigError):
    """A package seqlab imports only where it is needed is not installed."""


def one_line(exc: BaseException, limit: int | None = None) -> str:
    """An exception's text on one line (a paragraph of seqlab's quotes it), cut at `limit`."""
    return " ".join(str(exc).split())[:limit]


def require(module: str, extra: str, purpose: str) -> None:
    """Raise MissingExtra, naming the extra that installs `module`, when it is missing.

    seqlab imports scikit-learn, scipy, matplotlib, Pillow and plotly only where a run
    uses them, so a timing run needs none of them."""
    import importlib.util

    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        package = {"PIL": "pillow", "sklearn": "scikit-learn"}.get(module, module)
        raise MissingExtra(
            f"{purpose} need(s) the {package} package, which is not installed in this "
            f"Python environment. Install it with `pip install 'seqlab[{extra}]'` (or `pip "
            f"install {package}`)."
        )


# Errors that say the user must change something before running again (exit status 2);
# any other failure of a run exits with status 1.
USER_ERRORS = (ConfigError, DataError, DeviceError, FolderError, LauncherError)


def is_user_error(type_name: str | None) -> bool:
    """Whether a record's `error_type` names a user error (or a subclass of one)."""
    found, seen = list(USER_ERRORS), set()
    while found:
        cls = found.pop()
        seen.add(cls.__name__)
        found += cls.__subclasses__()
    return type_name in seen


def not_allowed(key: str, value: object, allowed: str) -> ConfigError:
    """The one message for a value an option cannot take: what was received, what is
    allowed, how to fix it."""
    shown = list(value) if isinstance(value, list | tuple) else value
    return ConfigError(
        f"{key}={shown!r} is not allowed: {key} must be {allowed}. "
        f"Fix it on the command line (for example `{key}=<value>`) or in your preset."
    )


def say(prog: str, message: str) -> None:
    """Print one paragraph to stderr as it is (no markup, no highlighting)."""
    from rich.console import Console

    Console(stderr=True).print(f"{prog}: {message}", highlight=False, markup=False, soft_wrap=True)


def refuse(prog: str, exc: BaseException | str, code: int = Exit.USER_ERROR) -> NoReturn:
    """Print an error as one paragraph and exit with `code`; no traceback."""
    say(prog, str(exc))
    sys.stdout.flush()
    sys.exit(int(code))
