"""A sweep's table: header and cells from the rows, as CSV, Markdown or a terminal table.

The header is derived from the column table (`seqlab.records.columns`): the sweep (when
several are merged) and the task's metric (when jobs have different ones) first, then
the job, the swept overrides, and every column; a grouped table (repeated seeds) has a
column's mean, standard deviation and 95 % half-width where the column says "stats".
"""

from __future__ import annotations

import csv
import io
from typing import Any

from seqlab.errors import ConfigError
from seqlab.records.columns import BY_NAME, COLUMNS
from seqlab.reports.rows import swept_keys

GROUP_FIELDS = ("n", "n_timed", "seeds")  # a grouped row's own columns, after the overrides
SPEEDUP = ("speedup", "speedup_low", "speedup_high", "speedup_method")
GROUP_SPEEDUP = (
    "speedup",
    "speedup_low",
    "speedup_high",
    "beyond_noise",
    "speedup_n",
    "seeds_for_5pct",
    "speedup_method",
)
# Columns the terminal shows only when some row says something there.
ONLY_WHEN_SET = ("jobs_at_once", "busy", "smoke", "stopped")
# Columns that, when every row has the same value, the terminal says once in the title.
CONTEXT = ("backend", "precision", "jit_compile", "cudnn_eligible", "kernel")


def leading_columns(rows: list[dict[str, Any]]) -> tuple[list[str], str | None]:
    """(the columns before the job: "sweep" when folders are merged, "metric" when jobs
    have different task metrics; the one metric they share, or None)."""
    metrics = {row["metric"] for row in rows if row["metric"]}
    shared = metrics.pop() if len(metrics) == 1 else None
    leading = ["sweep"] if len({row.get("sweep") for row in rows}) > 1 else []
    if shared is None and metrics:
        leading.append("metric")
    return leading, shared


def fields(rows: list[dict[str, Any]], baseline: str | None, grouped: bool) -> list[str]:
    """The row keys of the table, in order (before the metric's name is filled in)."""
    keys = swept_keys(rows)
    leading, _ = leading_columns(rows)
    out = [*leading, "job", *keys, *(GROUP_FIELDS if grouped else ()), "status"]
    for column in COLUMNS:
        if column.name in keys or column.name == "status" or (column.baseline and not baseline):
            continue  # a swept key has its column already
        out.append(column.name)
        if grouped and column.group == "stats":
            out += [f"{column.name}_std", f"{column.name}_ci95"]
    if baseline:
        out += GROUP_SPEEDUP if grouped else SPEEDUP
    return [*out, "error"]


def table(
    rows: list[dict[str, Any]], baseline: str | None = None, grouped: bool = False
) -> tuple[list[str], list[list]]:
    """Header and cells; the rows' derived columns are already filled in.

    When every job has the same task metric, the metric columns carry its name
    (`val_accuracy`); when they differ, a `metric` column names each job's own.
    """
    keys = set(swept_keys(rows))
    names = fields(rows, baseline, grouped)
    _, shared = leading_columns(rows)
    header = [name.replace("metric", shared, 1) if shared and "_metric" in name else name
              for name in names]  # fmt: skip
    cells = []
    for row in rows:
        values = []
        for name in names:
            if name in keys:
                values.append(row["overrides"].get(name, ""))
            elif name == "error":
                values.append(row.get("error") or "")
            else:
                values.append(row.get(name))
        cells.append(values)
    return header, cells


def fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        # 4 significant digits, but never an exponent below a million (1234, not 1.234e+03)
        return f"{value:.4g}" if abs(value) < 1000 or abs(value) >= 1e6 else f"{value:.0f}"
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
    # What a table can show, never a row's internal fields (members, fit_window, ...).
    grouped = any("n_timed" in row for row in rows)
    known = set(fields(rows, "baseline", grouped)) | {"sweep", "metric", *GROUP_SPEEDUP}
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
    base = name[:-5] if name.endswith("_ci95") else name
    column = BY_NAME.get(base) or BY_NAME.get(_unnamed(base))
    if name in ("error", "seeds", "n_timed", "speedup_method", "seeds_for_5pct"):
        return True
    if name.endswith("_std"):
        return True
    if column is not None and not column.terminal:
        return True
    return name.endswith("_ci95") and base.startswith(("first_epoch_s", "samples_per_s"))


def _unnamed(name: str) -> str:
    """`val_accuracy` -> `val_metric`: the column a metric-named header comes from."""
    for prefix in ("val_", "test_"):
        if name.startswith(prefix):
            return f"{prefix}metric"
    return name


def print_table(title: str, header: list[str], cells: list[list]) -> None:
    """The columns that answer "which is better" as a rich table; the files have all."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    shown = [i for i, name in enumerate(header) if not _hidden(name)]
    for name in ONLY_WHEN_SET:  # shown only when some job says something there
        if name in header:
            at = header.index(name)
            quiet = all(not row[at] or (name == "jobs_at_once" and row[at] <= 1) for row in cells)
            if quiet and at in shown:
                shown.remove(at)
    same = []
    for name in CONTEXT:  # the same in every row: said once, in the title
        if name in header and cells and header.index(name) in shown:
            at = header.index(name)
            if len({fmt(row[at]) for row in cells}) == 1:
                shown.remove(at)
                if fmt(cells[0][at]):  # no row says anything there: nothing to say
                    same.append(f"{name} {fmt(cells[0][at])}")
    if same:
        title = f"{title} ({', '.join(same)})"
    view = Table(title=escape(title))  # a folder's name and a record's keys are text
    for i in shown:
        view.add_column(escape(header[i]), overflow="fold")
    for row in cells:
        view.add_row(*(escape(fmt(row[i])) for i in shown))  # a value is text, not markup
    console = Console()
    if not console.is_terminal:  # a log file: no reason to wrap at 80 columns
        console = Console(width=160)
    console.print(view)
