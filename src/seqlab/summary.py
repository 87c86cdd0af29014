"""A sweep's table: one row per job, from the jobs' results.json files.

Used by the end-of-sweep Hydra callback; reads only files, so it works for every
launcher (jobs in this process, in subprocesses, or on a cluster).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from seqlab.results import RESULTS_FILE, read_results

COLUMNS = [
    "status",
    "val_metric",
    "test_metric",
    "step_ms_median",
    "step_ms_p90",
    "samples_per_s",
    "first_epoch_s",
    "total_s",
    "params",
    "peak_rss_mb",
    "device",
    "cudnn_eligible",
    "kernel",
]


def find_runs(sweep_dir: Path) -> list[Path]:
    """Job folders (any depth) that hold a results.json, in job order."""

    def order(path: Path):
        name = path.parent.name
        return (0, int(name), "") if name.isdigit() else (1, 0, str(path))

    return [p.parent for p in sorted(Path(sweep_dir).rglob(RESULTS_FILE), key=order)]


def _override_dict(overrides: list[str]) -> dict[str, str]:
    pairs = (o.lstrip("+~").split("=", 1) for o in overrides if "=" in o)
    return {key: value for key, value in pairs}


def _row(run_dir: Path, results: dict[str, Any]) -> dict[str, Any]:
    metrics = results.get("metrics") or {}
    timing = results.get("timing") or {}
    metric = metrics.get("metric", "metric")
    cudnn = results.get("cudnn") or {}
    return {
        "job": run_dir.name,
        "overrides": _override_dict(results.get("overrides") or []),
        "metric": metric,
        "status": results.get("status"),
        "val_metric": metrics.get(f"val_{metric}"),
        "test_metric": metrics.get(f"test_{metric}"),
        "step_ms_median": timing.get("step_ms_median"),
        "step_ms_p90": timing.get("step_ms_p90"),
        "samples_per_s": timing.get("samples_per_s"),
        "first_epoch_s": timing.get("first_epoch_s"),
        "total_s": timing.get("total_s"),
        "params": results.get("params"),
        "peak_rss_mb": (results.get("memory") or {}).get("peak_rss_mb"),
        "device": (results.get("device") or {}).get("used"),
        "cudnn_eligible": cudnn.get("eligible"),
        "kernel": cudnn.get("kernel"),
        "error": results.get("error"),
    }


def collect(sweep_dirs: list[Path]) -> list[dict[str, Any]]:
    rows = []
    for sweep_dir in sweep_dirs:
        for run_dir in find_runs(sweep_dir):
            results = read_results(run_dir)
            if results is not None:
                rows.append(_row(run_dir, results))
    return rows


def swept_keys(rows: list[dict[str, Any]]) -> list[str]:
    """Override keys whose values differ between jobs (all keys if there is one job)."""
    keys: list[str] = []
    for row in rows:
        keys += [k for k in row["overrides"] if k not in keys]
    if len(rows) < 2:
        return keys
    return [k for k in keys if len({row["overrides"].get(k) for row in rows}) > 1]


def add_speedup(rows: list[dict[str, Any]], baseline: str) -> None:
    """Add `speedup` = baseline step time / job step time, matching all other swept keys.

    `baseline` is an override, "impl=cell_loop" or "impl:cell_loop" (Hydra's command
    line needs the first form quoted: 'report.baseline="impl=cell_loop"').
    """
    key, _, value = (
        baseline.replace(":", "=", 1).partition("=")
        if "=" not in baseline
        else (baseline.partition("="))
    )
    others = [k for k in swept_keys(rows) if k != key]
    reference = {
        tuple(row["overrides"].get(k) for k in others): row["step_ms_median"]
        for row in rows
        if row["overrides"].get(key) == value and row["step_ms_median"]
    }
    for row in rows:
        base = reference.get(tuple(row["overrides"].get(k) for k in others))
        mine = row["step_ms_median"]
        row["speedup"] = base / mine if base and mine else None


def table(rows: list[dict[str, Any]], baseline: str | None = None) -> tuple[list[str], list[list]]:
    """Header and cells: swept overrides first, then the measured columns."""
    keys = swept_keys(rows)
    if baseline:
        add_speedup(rows, baseline)
    metric = rows[0]["metric"] if rows else "metric"
    columns = [c.replace("metric", metric) if c.endswith("_metric") else c for c in COLUMNS]
    header = ["job", *keys, *columns] + (["speedup"] if baseline else []) + ["error"]
    cells = []
    for row in rows:
        values = [row["job"], *(row["overrides"].get(k, "") for k in keys)]
        values += [row[c] for c in COLUMNS]
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


SUMMARY_FILES = ("summary.csv", "summary.md", "summary.png")


def sort_rows(rows: list[dict[str, Any]], key: str | None) -> list[dict[str, Any]]:
    """Rows ordered by a column (or swept override); missing values last. None keeps job order."""
    if not key:
        return rows
    known = {*COLUMNS, "speedup", "job"} | {k for row in rows for k in row["overrides"]}
    if key not in known:
        from seqlab.errors import ConfigError

        raise ConfigError(
            f"Cannot sort by {key!r}: it is neither a summary column nor a swept override. "
            f"Choose one of: {', '.join(sorted(known))}."
        )

    def value(row):
        v = row["overrides"][key] if key in row["overrides"] else row.get(key)
        return (v is None, v if isinstance(v, int | float) else str(v or ""))

    return sorted(rows, key=value)


def write_summary(
    sweep_dirs: list[Path],
    out_dir: Path,
    *,
    baseline: str | None = None,
    sort: str | None = None,
    columns: list[str] | None = None,
    chart: bool = True,
) -> tuple[list[dict[str, Any]], list[str], list[list]]:
    """Collect the jobs of `sweep_dirs` and write summary.csv/.md/.png into `out_dir`.

    `columns` limits the measured columns (the job and swept overrides always stay).
    Returns the rows, the header and the cells that were written.
    """
    from seqlab.charts import summary_chart

    rows = collect([Path(d) for d in sweep_dirs])
    keys = swept_keys(rows)
    header, cells = table(rows, baseline)
    if sort:
        position = {id(row): i for i, row in enumerate(rows)}
        rows = sort_rows(rows, sort)
        cells = [cells[position[id(row)]] for row in rows]
    if columns:
        fixed = ["job", *keys]
        unknown = [c for c in columns if c not in header]
        if unknown:
            from seqlab.errors import ConfigError

            raise ConfigError(
                f"Unknown summary column(s) {', '.join(unknown)}. Known columns: "
                f"{', '.join(h for h in header if h not in fixed)}."
            )
        keep = [i for i, h in enumerate(header) if h in fixed or h in columns]
        header = [header[i] for i in keep]
        cells = [[row[i] for i in keep] for row in cells]
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "summary.csv").write_text(to_csv(header, cells))
    (out_dir / "summary.md").write_text(to_markdown(header, cells))
    if chart and rows:
        summary_chart(rows, keys, out_dir / "summary.png")
    return rows, header, cells
