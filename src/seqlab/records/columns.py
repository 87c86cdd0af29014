"""The summary's columns, in one table: where each value comes from and how it is shown.

Every column of summary.csv/md, of the terminal table, of the grouped (repeated-seed)
table and of the page is a row here. A row says how a job's value is read from its
results.json (or that it is derived from all the jobs together), what type a record
may hold there and within which bounds (the record's reader,
`seqlab.records.record.load_record`, reports a record with anything else as
unreadable: this table is the only list of what a reader trusts), how a group of seeds
summarises it, and whether the terminal shows it. Adding a column is one line here,
plus where the value is measured. It lives with the record, below every reader.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

NUMBER = (int, float)
TEXT = (str,)
FLAG = (bool,)


# What a number may be, besides its type: times and steps are never zero when measured.
POSITIVE = (0.0, True)  # > 0
NON_NEGATIVE = (0.0, False)  # >= 0


def _at(*path: str) -> Callable[[dict[str, Any]], Any]:
    """Read results.json's value at `path` (None where any part is missing)."""

    def read(record: dict[str, Any]) -> Any:
        value: Any = record
        for key in path:
            if not isinstance(value, dict):
                return None
            value = value.get(key)
        return value

    read.where = ".".join(path)  # type: ignore[attr-defined]  # for the reader's message
    return read


def _metric(split: str) -> Callable[[dict[str, Any]], Any]:
    """The task metric's value on `split` (val or test), whatever the metric is called."""

    def read(record: dict[str, Any]) -> Any:
        metrics = record.get("metrics") or {}
        name = metrics.get("metric")
        return metrics.get(f"{split}_{name}") if isinstance(name, str) else None

    read.where = f"metrics.{split}_<metric>"  # type: ignore[attr-defined]
    return read


def _device(record: dict[str, Any]) -> Any:
    """The device that ran, and the one asked for when they differ (a smoke run)."""
    device = record.get("device") or {}
    used, asked = device.get("used"), device.get("requested")
    if isinstance(used, str) and asked not in (None, "auto", used):
        return f"{used} ({asked} asked)"
    return used


_device.where = "device.used"  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Column:
    """One column of the summary.

    Attributes:
        name: its header (a `_metric` column is named after the task's metric when every
            job shares it: val_accuracy).
        read: the job's value from its record; None for a column derived from every
            job's row (`seqlab.reports.compare`).
        kind: the types a record may hold there (null is always allowed).
        least: for a number, (bound, strict): POSITIVE or NON_NEGATIVE; None: any.
        group: how a group of seeds shows it: "stats" (mean, std and 95 % half-width
            over its ok jobs), "first" (the same for every seed), "max", "count" (how
            many are true), "all" (true when every member's is).
        terminal: whether the terminal table shows it (the files show every column).
        baseline: shown only when the summary compares with a baseline.
        doc: what it is, for the docs and the page.
    """

    name: str
    read: Callable[[dict[str, Any]], Any] | None
    kind: tuple[type, ...]
    group: str = "first"
    terminal: bool = True
    baseline: bool = False
    doc: str = ""
    least: tuple[float, bool] | None = None

    @property
    def where(self) -> str:
        """Where the value lies in results.json, as a reader's message names it."""
        return getattr(self.read, "where", self.name)


# One line per column: name, where it is read from, what a record may hold there, how
# a group of seeds shows it, whether the terminal shows it (and, for some, whether it
# needs a baseline), and what it is.
# fmt: off
COLUMNS: tuple[Column, ...] = (
    Column("backend", _at("env", "backend"), TEXT, "first", True, doc="the framework Keras ran on"),
    Column("precision", _at("settings", "precision"), TEXT, "first", True, doc="dtype policy"),
    Column("val_metric", _metric("val"), NUMBER, "stats", True, doc="final validation metric"),
    Column("test_metric", _metric("test"), NUMBER, "stats", False, doc="test metric"),
    Column("step_ms_median", _at("timing", "step_ms_median"), NUMBER, "stats", True,
           doc="median steady-state training step (ms)", least=POSITIVE),
    Column("step_ms_p90", _at("timing", "step_ms_p90"), NUMBER, "stats", False, doc="p90 (ms)",
           least=POSITIVE),
    Column("step_ms_iqr", _at("timing", "step_ms_iqr"), NUMBER, "stats", False,
           doc="spread of the steady-state steps: 75th minus 25th percentile (ms)",
           least=NON_NEGATIVE),
    Column("samples_per_s", _at("timing", "samples_per_s"), NUMBER, "stats", True,
           doc="training samples per second at steady state", least=POSITIVE),
    Column("first_epoch_s", _at("timing", "first_epoch_s"), NUMBER, "stats", True,
           doc="epoch 1 with tracing and compilation (s)", least=NON_NEGATIVE),
    Column("total_s", _at("timing", "total_s"), NUMBER, "stats", False, doc="the whole run (s)",
           least=NON_NEGATIVE),
    Column("params", _at("params"), (int,), "first", False, doc="trainable parameters",
           least=NON_NEGATIVE),
    Column("epochs", _at("settings", "epochs"), (int,), "first", False,
           doc="epochs the run was set to train", least=NON_NEGATIVE),
    Column("steps_per_epoch", _at("settings", "steps_per_epoch"), (int,), "first", False,
           doc="training steps per epoch", least=NON_NEGATIVE),
    Column("peak_rss_mb", _at("memory", "peak_rss_mb"), NUMBER, "max", False,
           doc="peak resident memory of the process (MiB)", least=NON_NEGATIVE),
    Column("device", _device, TEXT, "first", False, doc="cpu or gpu (what ran)"),
    Column("jit_compile", _at("settings", "jit_compile"), FLAG, "first", True, doc="XLA/jit ran"),
    Column("cudnn_eligible", _at("cudnn", "eligible"), FLAG, "first", True,
           doc="whether Keras would take the cuDNN kernel on a GPU"),
    Column("kernel", _at("cudnn", "kernel"), TEXT, "first", True, doc="the kernel that ran"),
    Column("launcher", _at("env", "launcher", "name"), TEXT, "first", False,
           doc="the Hydra launcher that ran the job"),
    Column("workers_per_node", _at("env", "launcher", "workers_per_node"), (int,), "first",
           False, doc="how many jobs the launcher may run at once on one node"),
    Column("jobs_at_once", None, (int,), "max", True,
           doc="the most jobs that trained on the job's host at the same time (measured)"),
    Column("others_cores", _at("load", "others_cores_mean"), NUMBER, "max", True,
           doc="cores other processes used while the job trained (mean over its fit)",
           least=NON_NEGATIVE),
    Column("others_peak", _at("load", "others_cores_peak"), NUMBER, "max", False,
           doc="the most cores other processes used over 3 s of its fit", least=NON_NEGATIVE),
    Column("busy", None, FLAG, "count", True,
           doc="measured on a busy machine: other processes took cores while it trained"),
    Column("higher_is_better", _at("metrics", "higher_is_better"), FLAG, "first", False,
           doc="whether a higher value of the task's metric is better (the run's own task)"),
    Column("smoke", _at("config", "trainer", "smoke"), FLAG, "all", True,
           doc="a smoke run (trainer=smoke): a few steps, not a measurement"),
    Column("same_start", None, TEXT, "first", True, baseline=True,
           doc="whether the job started from its baseline's weights, data and data order"),
    Column("stopped", None, TEXT, "first", True,
           doc="repeats=auto: why the configuration got no more seeds"),
)
# fmt: on

BY_NAME = {column.name: column for column in COLUMNS}


def valid(column: Column, value: Any) -> bool:
    """Whether `value` is what a record may hold for `column` (null always is)."""
    if value is None:
        return True
    if isinstance(value, bool) and bool not in column.kind:
        return False  # True is an int to Python, never a number to seqlab
    if not isinstance(value, column.kind):
        return False
    if column.least is None or isinstance(value, bool) or not isinstance(value, int | float):
        return True
    bound, strict = column.least
    return value > bound if strict else value >= bound


def what(column: Column) -> str:
    """What a record may hold for `column`, in words (for the reader's message)."""
    if float in column.kind:
        kinds = "a number"
    else:
        names = {bool: "true or false", str: "a text", int: "a whole number"}
        kinds = " or ".join(names[k] for k in column.kind)
    if column.least is not None:
        kinds += " > 0" if column.least[1] else " >= 0"
    return f"{kinds} or null"
