"""A run folder's file names, and writing them so that a crash leaves the old or the new file.

Every file seqlab writes goes to a temporary name in the same folder, is flushed to
disk, and is renamed over the old one (an atomic step on POSIX file systems); the
folder is synced after the rename, so a kill or a power cut at any instant leaves
either the complete old file or the complete new one. Reading a record checks its
shape as well as its syntax: a results.json that is not what seqlab writes is
reported as unreadable, never half-trusted.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import math
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

RESULTS_FILE = "results.json"
HISTORY_FILE = "history.csv"
CURVES_FILE = "curves.png"
MODEL_FILE = "model.keras"
BEST_MODEL_FILE = "model_best.keras"  # the epoch with the best validation metric
# Every file a run writes at the top of its folder (checkpoint/, .hydra/ are folders).
RUN_FILES = (RESULTS_FILE, HISTORY_FILE, CURVES_FILE, MODEL_FILE, BEST_MODEL_FILE)


def read_regular(path: Path | str, binary: bool = False) -> str | bytes:
    """The contents of `path`, which must be a regular file.

    A folder someone sent may hold a FIFO or a device under a record's name: opening it
    for reading would block forever (the summary, seqlab-report, repeats=auto's
    decisions and the driver's stop all read records). It is opened without blocking,
    checked, and refused with an OSError (EINVAL) when it is not a plain file.
    FileNotFoundError passes through as from open().
    """
    import stat

    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read()
    finally:
        os.close(fd)
    return data if binary else data.decode("utf-8")


def read_json(path: Path | str) -> Any:
    """JSON from a regular file (`read_regular`); OSError or ValueError when it is none."""
    return json.loads(read_regular(path))


def _jsonable(value: Any) -> Any:
    """Plain JSON: NumPy scalars to Python numbers, NaN/inf to null (JSON has none)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalar
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _sync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable (where the platform allows opening folders)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def temporary_name(name: str, pid: int) -> str:
    """The name `write_atomic` gives the temporary of `name` ("results.json" ->
    ".results.1234.tmp.json"): hidden, the writer's pid, the real suffixes kept."""
    base, dot, suffixes = name.partition(".")
    return f".{base}.{pid}.tmp{dot}{suffixes}"


_TEMPORARY = re.compile(r"^\.([^.]+)\.\d+\.tmp(\..*)?$")


def temporary_of(name: str) -> str | None:
    """The file whose `write_atomic` temporary `name` is (None: not a temporary)."""
    found = _TEMPORARY.match(name)
    return f"{found[1]}{found[2] or ''}" if found else None


def write_atomic(path: Path, write: Callable[[Path], None], *, staged: bool = False) -> None:
    """Let `write` create a temporary file beside `path`, sync it, rename it into place.

    The temporary name keeps the real suffixes (Keras wants `.keras` or `.weights.h5`,
    matplotlib `.png`). `staged`: `write` works in the system's temporary folder and
    Python copies the result over. Native writers are kept away from the run's file
    system that way: HDF5 crashed the process (a segfault) when the disk filled up under
    it, where a copy by Python fails with a plain "No space left on device".
    """
    path = Path(path)
    tmp = path.with_name(temporary_name(path.name, os.getpid()))
    try:
        if staged:
            with tempfile.TemporaryDirectory(prefix="seqlab-") as scratch:
                staging = Path(scratch) / tmp.name
                _write_reporting_full_disk(write, staging, staging)
                try:
                    shutil.copyfile(staging, tmp)
                except OSError as exc:  # name the run's file, not the scratch copy
                    raise OSError(exc.errno, exc.strerror, str(path)) from None
        else:
            _write_reporting_full_disk(write, tmp, path)
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    _sync_folder(path.parent)


def _write_reporting_full_disk(write: Callable[[Path], None], to: Path, final: Path) -> None:
    try:
        write(to)
    except OSError:
        raise
    except Exception as exc:
        # Libraries report a full disk in their own words (h5py: a RuntimeError quoting
        # "errno = 28"); say it as the OSError it is.
        if "errno = 28" in str(exc) or "No space left" in str(exc):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(final)) from exc
        raise


def write_text_atomic(path: Path, text: str) -> None:
    write_atomic(path, lambda tmp: tmp.write_text(text))


def write_json_atomic(path: Path, data: dict) -> None:
    """Write `data` to `path` so that a crash leaves either the old file or the new one."""
    write_text_atomic(path, json.dumps(_jsonable(data), indent=2) + "\n")


def write_history_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    """One row per epoch: metrics from Keras's history plus epoch times."""
    columns: list[str] = []
    for row in rows:
        columns += [key for key in row if key not in columns]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    writer.writerows(_jsonable(rows))
    write_text_atomic(path, out.getvalue())
