"""A sweep's table: header and cells from the rows, as CSV, Markdown or a terminal table."""

from __future__ import annotations

import csv
import io
from typing import Any

from seqlab.errors import ConfigError
from seqlab.sweeps.rows import COLUMNS, add_speedup, swept_keys

# Left out of the terminal table (the files have every column).
HIDDEN_IN_TERMINAL = {
    "step_ms_p90",
    "total_s",
    "params",
    "peak_rss_mb",
    "device",
    "launcher",
    "workers_per_node",
    "error",
}


def leading_columns(rows: list[dict[str, Any]]) -> tuple[list[str], str | None]:
    """(the columns before the job: "sweep" when folders are merged, "metric" when jobs
    have different task metrics; the one metric they share, or None)."""
    metrics = {row["metric"] for row in rows if row["metric"]}
    shared = metrics.pop() if len(metrics) == 1 else None
    leading = ["sweep"] if len({row.get("sweep") for row in rows}) > 1 else []
    if shared is None and metrics:
        leading.append("metric")
    return leading, shared


def table(rows: list[dict[str, Any]], baseline: str | None = None) -> tuple[list[str], list[list]]:
    """Header and cells: the sweep (when several are merged) and swept overrides first.

    When every job has the same task metric, the metric columns carry its name
    (`val_accuracy`); when they differ, a `metric` column names each job's own.
    """
    keys = swept_keys(rows)
    if baseline:
        add_speedup(rows, baseline)
    leading, shared = leading_columns(rows)
    measured = [c for c in COLUMNS if c not in keys]  # a swept key has its column already
    columns = [
        c.replace("metric", shared) if shared and c.endswith("_metric") else c for c in measured
    ]
    header = [*leading, "job", *keys, *columns] + (["speedup"] if baseline else []) + ["error"]
    cells = []
    for row in rows:
        values = [row.get(c) for c in leading] + [row["job"]]
        values += [row["overrides"].get(k, "") for k in keys]
        values += [row[c] for c in measured]
        if baseline:
            values.append(row.get("speedup"))
        values.append(row["error"] or "")
        cells.append(values)
    return header, cells


def fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)


def to_csv(header: list[str], cells: list[list]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([["" if v is None else v for v in row] for row in cells])
    return out.getvalue()


def to_markdown(header: list[str], cells: list[list]) -> str:
    def line(values):
        return (
            "| " + " | ".join(fmt(v).replace("|", "\\|").replace("\n", " ") for v in values) + " |"
        )

    return "\n".join([line(header), line(["---"] * len(header)), *map(line, cells)]) + "\n"


def sort_rows(rows: list[dict[str, Any]], key: str | None) -> list[dict[str, Any]]:
    """Rows ordered by a column (or swept override); missing values last. None keeps job order."""
    if not key:
        return rows
    known = {*COLUMNS, "speedup", "job", "sweep", "metric"}
    known |= {k for row in rows for k in row} - {"overrides"}
    known |= {k for row in rows for k in row["overrides"]}
    if key not in known:
        raise ConfigError(
            f"Cannot sort by {key!r}: it is neither a summary column nor a swept override. "
            f"Choose one of: {', '.join(sorted(known))}."
        )

    def value(row):
        v = row["overrides"][key] if key in row["overrides"] else row.get(key)
        return (v is None, v if isinstance(v, int | float) else str(v or ""))

    return sorted(rows, key=value)


def _hidden(name: str) -> bool:
    """Columns the terminal leaves to the files (a grouped table shows means and 95 %
    intervals of the validation metric and step time, and the speed-up's interval)."""
    if name in HIDDEN_IN_TERMINAL or name.endswith("_std") or name == "seeds":
        return True
    return name.startswith(("test_", "first_epoch_s_", "samples_per_s_"))


def print_table(title: str, header: list[str], cells: list[list]) -> None:
    """The columns that answer "which is better" as a rich table; the files have all."""
    from rich.console import Console
    from rich.table import Table

    shown = [i for i, name in enumerate(header) if not _hidden(name)]
    if "jobs_at_once" in header:  # shown only when some job shared its host
        at_once = header.index("jobs_at_once")
        if all((row[at_once] or 1) <= 1 for row in cells):
            shown.remove(at_once)
    view = Table(title=title)
    for i in shown:
        view.add_column(header[i], overflow="fold")
    for row in cells:
        view.add_row(*(fmt(row[i]) for i in shown))
    console = Console()
    if not console.is_terminal:  # a log file: no reason to wrap at 80 columns
        console = Console(width=160)
    console.print(view)
