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
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

RESULTS_FILE = "results.json"
HISTORY_FILE = "history.csv"
CURVES_FILE = "curves.png"
MODEL_FILE = "model.keras"

# The statuses a record can have; "incomplete" and "unreadable" are only ever
# derived by readers (a "running" record whose process is gone; a damaged file).
STATUSES = ("running", "ok", "failed", "interrupted")
# Sections of results.json and the type each must have when present.
SECTION_TYPES: dict[str, type | tuple[type, ...]] = {
    "status": str,
    "config": dict,
    "overrides": list,
    "metrics": dict,
    "timing": dict,
    "memory": dict,
    "cudnn": dict,
    "device": dict,
    "settings": dict,
    "env": dict,
    "data": dict,
    "files": dict,
    "start": dict,
    "load_probe": dict,
    "error": (str, type(None)),
    "params": (int, type(None)),
}


# Values of results.json's number sections that are not numbers.
NON_NUMBERS = {
    "metric",
    "warmup",
    "definitions",
    "epoch_s",
    "train_epoch_s",
    "fit_window",
    "resumed",
    "no_percentiles",
    "measured_by",
}


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


def write_atomic(path: Path, write: Callable[[Path], None], *, staged: bool = False) -> None:
    """Let `write` create a temporary file beside `path`, sync it, rename it into place.

    The temporary name keeps the real suffixes (Keras wants `.keras` or `.weights.h5`,
    matplotlib `.png`). `staged`: `write` works in the system's temporary folder and
    Python copies the result over. Native writers are kept away from the run's file
    system that way: HDF5 crashed the process (a segfault) when the disk filled up under
    it, where a copy by Python fails with a plain "No space left on device".
    """
    path = Path(path)
    base, dot, suffixes = path.name.partition(".")
    tmp = path.with_name(f".{base}.{os.getpid()}.tmp{dot}{suffixes}")
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


# What a record that says "ok" always holds: anything less is not seqlab's.
FINISHED_SECTIONS = ("config", "overrides", "metrics", "timing", "env")


def _refuse_constant(name: str) -> float:
    """JSON has no NaN or Infinity; seqlab writes null. A file that has them is foreign."""
    raise ValueError(f"{name} is not a JSON number (seqlab writes null for it)")


class UnreadableRecord(Exception):
    """results.json exists but is not a record seqlab wrote (truncated, wrong shape)."""


def load_record(path: Path) -> dict[str, Any] | None:
    """The record in `path` (a results.json), None when there is none.

    Raises `UnreadableRecord` saying what is wrong with a damaged or foreign file.
    """
    try:
        text = Path(path).read_text()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise UnreadableRecord(f"cannot be read ({exc})") from None
    try:
        record = json.loads(text, parse_constant=_refuse_constant)
    except ValueError as exc:
        raise UnreadableRecord(f"is not valid JSON, it may be truncated ({exc})") from None
    if not isinstance(record, dict):
        raise UnreadableRecord(f"holds a JSON {type(record).__name__}, not a seqlab record")
    for key, kind in SECTION_TYPES.items():
        if key in record and not isinstance(record[key], kind):
            raise UnreadableRecord(
                f"has {key!r} of type {type(record[key]).__name__}, which seqlab never writes"
            )
    for section in ("metrics", "timing", "memory"):
        for key, value in (record.get(section) or {}).items():
            if key in NON_NUMBERS:
                continue
            numeric = isinstance(value, int | float) and not isinstance(value, bool)
            if value is not None and not numeric:
                raise UnreadableRecord(
                    f"has {section}.{key}={value!r}, where seqlab writes a number"
                )
    if record.get("status") not in STATUSES:
        raise UnreadableRecord(f"has status {record.get('status')!r}, not one of {STATUSES}")
    if not all(isinstance(o, str) for o in record.get("overrides", [])):
        raise UnreadableRecord("has overrides that are not strings")
    missing = [key for key in FINISHED_SECTIONS if key not in record]
    if record.get("status") == "ok" and missing:
        raise UnreadableRecord(
            f"says ok but has no {', '.join(missing)}, which every finished seqlab run records"
        )
    return record


def read_results(run_dir: Path) -> dict | None:
    """The run's results.json, or None if it is missing or unreadable."""
    try:
        return load_record(Path(run_dir) / RESULTS_FILE)
    except UnreadableRecord:
        return None
