"""A run's record, `results.json`: the typed object a run fills in step by step, and its
reader, which checks a record's shape as well as its syntax: a results.json that is
not what seqlab writes is reported as unreadable, never half-trusted."""

from __future__ import annotations

import json
import os
import platform
import time
import traceback as tb
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from seqlab.errors import SeqlabError
from seqlab.records.columns import COLUMNS, valid, what
from seqlab.records.files import RESULTS_FILE, read_regular


@dataclass
class RunRecord:
    """Everything results.json holds; each stage of the run fills in its own part."""

    title: str
    output_dir: str
    overrides: list[str]
    config: dict[str, Any]
    status: str = "running"  # running -> ok | failed | interrupted
    error: str | None = None
    error_type: str | None = None
    # Who runs it: a "running" record whose process is gone is incomplete.
    pid: int = field(default_factory=os.getpid)
    host: str = field(default_factory=platform.node)
    started_at: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%S%z"))
    # Epochs finished so far, the ones a resumed run took over included.
    epochs_finished: int = 0
    metrics: dict[str, Any] = field(default_factory=dict)
    timing: dict[str, Any] = field(default_factory=dict)
    memory: dict[str, Any] = field(default_factory=dict)
    cudnn: dict[str, Any] = field(default_factory=dict)
    device: dict[str, Any] = field(default_factory=dict)
    params: int | None = None
    env: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    # What the run started from: fingerprints of its initial weights, its data and its
    # data order (seqlab.training.fingerprints).
    start: dict[str, Any] = field(default_factory=dict)
    # What other processes used of the cores while it trained (seqlab.training.load).
    load: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    files: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    traceback: str | None = None

    def interrupt(self, signal_name: str, checkpoint_epoch: int | None) -> None:
        """Record a stop by SIGINT/SIGTERM after `epochs_finished` epochs.

        `checkpoint_epoch` is the epoch of the newest complete checkpoint, where a run
        started again resumes (None: it starts over).
        """
        self.status = "interrupted"
        self.error_type = "Interrupted"
        self.error = (
            f"Interrupted by {signal_name} after {self.epochs_finished} finished epoch(s). "
        )
        if checkpoint_epoch:
            self.error += (
                "Run the same command again (same folder) to resume from its checkpoint of "
                f"epoch {checkpoint_epoch}."
            )
        else:
            self.error += "Run the same command again to start it over."

    def fail(self, exc: BaseException) -> None:
        """Record a failure: seqlab's own errors as their message, others with a traceback."""
        self.status = "failed"
        self.error_type = type(exc).__name__
        if isinstance(exc, SeqlabError):
            self.error = str(exc)
        else:  # a crash inside Keras/TF: keep the run's record anyway
            self.error = f"{type(exc).__name__}: {exc}"
            self.traceback = tb.format_exc()

    def as_dict(self, compact: bool = False) -> dict[str, Any]:
        """The record as results.json holds it; `compact` leaves out what a reader can
        do without (when the disk has no room for more)."""
        record = asdict(self)
        if record["traceback"] is None or compact:
            record.pop("traceback")
        if compact:
            record["timing"] = {k: v for k, v in record["timing"].items() if k != "definitions"}
            record["load"] = {k: v for k, v in record["load"].items() if k != "samples"}
            record["compact"] = True
        return record


# The statuses a record can have; "incomplete" and "unreadable" are only ever
# derived by readers (a "running" record whose process is gone; a damaged file).
STATUSES = ("running", "ok", "failed", "interrupted")


def _isinstance_of(annotation: Any) -> tuple[type, ...]:
    """The types `isinstance` checks for a field's annotation (dict[str, Any] -> dict,
    str | None -> (str, NoneType))."""
    import types
    import typing

    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return tuple(t for arg in typing.get_args(annotation) for t in _isinstance_of(arg))
    origin = typing.get_origin(annotation)
    return (origin,) if origin is not None else (annotation,)


def _section_types() -> dict[str, tuple[type, ...]]:
    """Each section of results.json and the types it may have: read off `RunRecord`
    itself, so a field added there is checked without a second list."""
    import typing

    hints = typing.get_type_hints(RunRecord)
    return {field.name: _isinstance_of(hints[field.name]) for field in fields(RunRecord)}


SECTION_TYPES = _section_types()


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
        text = read_regular(path)
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
    # Every value a reader takes from a record is a column's; the column table says
    # what it may be (a time is a positive number, a kernel a text, ...).
    for column in COLUMNS:
        value = column.read(record) if column.read is not None else None
        if not valid(column, value):
            raise UnreadableRecord(
                f"has {column.where}={value!r}, where seqlab writes {what(column)}"
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
