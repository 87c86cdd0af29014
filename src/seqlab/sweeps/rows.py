"""A sweep's rows: one per job, read from the jobs' results.json files.

Reads only files, so it works for every launcher (jobs in this process, in
subprocesses, or on a cluster) and for `seqlab-report` on any folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from seqlab.runs.files import RESULTS_FILE, read_results

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
