"""A sweep's rows: one per job, read from the jobs' results.json files.

Reads only files, so it works for every launcher (jobs in this process, in
subprocesses, or on a cluster) and for `seqlab-report` on any folder. Every job is
accounted for: a record still "running" whose process is gone is `incomplete`, a
damaged record is `unreadable` (with its path), and a planned job with no record
at all (sweep.json lists the plan) is `not run`.
"""

from __future__ import annotations

import bisect
import json
import math
import os
from pathlib import Path
from typing import Any

from seqlab.runs.files import RESULTS_FILE, UnreadableRecord, load_record
from seqlab.runs.folder import ATTIC_DIR, lock_is_held

SWEEP_FILE = "sweep.json"  # the planned jobs' overrides, written when a sweep starts
COLUMNS = [
    "status",
    "backend",
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
    "jit_compile",
    "cudnn_eligible",
    "kernel",
    "launcher",
    "workers_per_node",
    "jobs_at_once",
]
# Statuses in the order a headline counts them.
STATUS_ORDER = ("ok", "failed", "interrupted", "incomplete", "running", "unreadable", "not run")


def find_runs(sweep_dir: Path) -> list[Path]:
    """Job folders (any depth, outside .attic) that hold a results.json, in job order."""

    def order(path: Path):
        name = path.parent.name
        return (0, int(name), "") if name.isdigit() else (1, 0, str(path))

    found = [
        p
        for p in Path(sweep_dir).rglob(RESULTS_FILE)
        if ATTIC_DIR not in p.relative_to(sweep_dir).parts
    ]
    return [p.parent for p in sorted(found, key=order)]


def override_dict(overrides: list[str]) -> dict[str, str]:
    pairs = (o.lstrip("+~").split("=", 1) for o in overrides if "=" in o)
    return {key: value for key, value in pairs}


def _empty_row(run_dir: Path, status: str, error: str | None, overrides: list[str]) -> dict:
    row = {column: None for column in COLUMNS}
    row.update(
        job=run_dir.name,
        overrides=override_dict(overrides),
        metric=None,
        status=status,
        error=error,
    )
    return row


def _row(run_dir: Path, results: dict[str, Any]) -> dict[str, Any]:
    metrics = results.get("metrics") or {}
    timing = results.get("timing") or {}
    metric = metrics.get("metric")
    cudnn = results.get("cudnn") or {}
    launcher = (results.get("env") or {}).get("launcher") or {}
    status, error = results.get("status"), results.get("error")
    if status == "running" and not lock_is_held(run_dir):
        status = "incomplete"
        error = (
            f"the process (pid {results.get('pid')} on {results.get('host')}, started "
            f"{results.get('started_at')}) ended without finishing its record: killed, out "
            "of memory or crashed. Re-running the sweep runs this job again (it resumes "
            "from its last checkpoint)."
        )
    return {
        "job": run_dir.name,
        "overrides": override_dict(results.get("overrides") or []),
        "metric": metric,
        "status": status,
        "val_metric": metrics.get(f"val_{metric}") if metric else None,
        "test_metric": metrics.get(f"test_{metric}") if metric else None,
        "step_ms_median": timing.get("step_ms_median"),
        "step_ms_p90": timing.get("step_ms_p90"),
        "samples_per_s": timing.get("samples_per_s"),
        "first_epoch_s": timing.get("first_epoch_s"),
        "total_s": timing.get("total_s"),
        "params": results.get("params"),
        "peak_rss_mb": (results.get("memory") or {}).get("peak_rss_mb"),
        "device": (results.get("device") or {}).get("used"),
        "backend": (results.get("env") or {}).get("backend"),
        "jit_compile": (results.get("settings") or {}).get("jit_compile"),
        "cudnn_eligible": cudnn.get("eligible"),
        "kernel": cudnn.get("kernel"),
        "launcher": launcher.get("name"),
        "workers_per_node": launcher.get("workers_per_node"),
        "jobs_at_once": None,  # mark_shared() fills it in from every job's fit window
        # Keyed by host name and, on Ray, the node's address (hosts may share a name).
        "fit_window": _window(
            f"{results.get('host')} {launcher.get('node') or ''}", timing.get("fit_window")
        ),
        "error": error,
    }


MAX_FIT_S = 366 * 24 * 3600.0  # a longer fit window is a damaged record, not a fit


def _window(host: Any, window: Any) -> tuple[str, float, float] | None:
    """(host, start, end) of a job's model.fit; None when the record has no plausible
    one (seqlab writes two finite Unix times, end not before start)."""
    if not isinstance(window, list) or len(window) != 2:
        return None
    if not all(isinstance(t, int | float) and not isinstance(t, bool) for t in window):
        return None
    start, end = float(window[0]), float(window[1])
    if not (math.isfinite(start) and math.isfinite(end) and 0 <= end - start <= MAX_FIT_S):
        return None
    return (str(host), start, end)


def mark_shared(rows: list[dict[str, Any]]) -> None:
    """Set `jobs_at_once`: the most jobs, this one included, that ran model.fit on this
    job's host at the same moment during its own fit (1: it trained alone).

    Measured from the records' fit windows, so it holds for every launcher; a job
    without a window (not run, failed before training) gets None.
    """
    by_host: dict[str, set[tuple[float, float]]] = {}
    for row in rows:
        if row.get("fit_window") is not None:
            host, start, end = row["fit_window"]
            # A set: the same job listed twice (a folder merged twice, or a copy of it)
            # is one fit, not two that ran side by side.
            by_host.setdefault(host, set()).add((start, end))
    timelines = {
        host: (sorted(w[0] for w in spans), sorted(w[1] for w in spans))
        for host, spans in by_host.items()
    }
    for row in rows:
        if row.get("fit_window") is None:
            row["jobs_at_once"] = None
            continue
        host, start, end = row["fit_window"]
        starts, ends = timelines[host]
        # The number of running fits only rises when one starts, so the most during my
        # fit is at my start or at another start inside my window [start, end).
        first, last = bisect.bisect_left(starts, start), bisect.bisect_left(starts, end)
        running = [_running(starts, ends, m) for m in starts[first:last]]
        # A fit of zero length is not among the running ones at its own start.
        row["jobs_at_once"] = max(running) if running else 1 + _running(starts, ends, start)


def _running(starts: list[float], ends: list[float], moment: float) -> int:
    """How many fits [start, end) were running at `moment` (both lists sorted)."""
    return bisect.bisect_right(starts, moment) - bisect.bisect_right(ends, moment)


def sharing_note(rows: list[dict[str, Any]]) -> str | None:
    """A sentence for the headline when some jobs trained on one host at the same time."""
    shared = [row for row in rows if (row.get("jobs_at_once") or 0) > 1]
    if not shared:
        return None
    most = max(row["jobs_at_once"] for row in shared)
    launchers = sorted({str(row.get("launcher")) for row in shared})
    workers = sorted({str(row.get("workers_per_node")) for row in shared} - {"None"})
    per_node = f", {'/'.join(map(str, workers))} workers per node" if workers else ""
    return (
        f"timing: {len(shared)} of {len(rows)} jobs trained while other jobs trained on the "
        f"same host (up to {most} at once; launcher {', '.join(launchers)}{per_node}), so "
        "their step times include the others' load (column jobs_at_once). Compare step "
        "times only between jobs with the same jobs_at_once, or run one job per node for "
        "timing (the basic launcher, hydra.launcher.n_jobs=1, or Ray tasks that ask for a "
        "whole node's CPUs)."
    )


def read_row(run_dir: Path) -> dict[str, Any]:
    """The row of one job folder, whatever state its record is in."""
    path = Path(run_dir) / RESULTS_FILE
    try:
        results = load_record(path)
    except UnreadableRecord as exc:
        return _empty_row(Path(run_dir), "unreadable", f"{path} {exc}", [])
    return _row(Path(run_dir), results)


def planned_jobs(sweep_dir: Path) -> list[dict[str, Any]] | None:
    """Every job the sweep planned (sweep.json): its overrides and folder (relative to the
    sweep folder); None if not recorded. Plans of older seqlab versions list overrides
    only, the job's folder being its number."""
    try:
        plan = json.loads((Path(sweep_dir) / SWEEP_FILE).read_text())
        jobs = plan["jobs"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(jobs, list):
        return None
    planned = []
    for number, job in enumerate(jobs):
        if isinstance(job, list):  # an older plan: overrides only, the folder is the number
            job = {"overrides": job, "folder": str(number)}
        if not isinstance(job, dict) or not isinstance(job.get("folder"), str):
            return None
        overrides = job.get("overrides")
        if not isinstance(overrides, list) or not all(isinstance(o, str) for o in overrides):
            return None
        planned.append({"overrides": overrides, "folder": job["folder"]})
    return planned


def _plans(top: Path) -> list[tuple[Path, list[dict[str, Any]]]]:
    """Every sweep plan at or under `top` (outside .attic): a folder may hold sweeps."""
    found = []
    for path in sorted(Path(top).rglob(SWEEP_FILE)):
        if ATTIC_DIR in path.relative_to(top).parts:
            continue
        jobs = planned_jobs(path.parent)
        if jobs is not None:
            found.append((path.parent, jobs))
    return found


def collect(sweep_dirs: list[Path]) -> list[dict[str, Any]]:
    """Every job of every folder, in the order of the sweeps' plans, then the others;
    with several folders each row names its `sweep`."""
    rows = []
    for sweep_dir in map(Path, sweep_dirs):
        # Keyed by the folder's path inside the given folder: "0", or "a/0" when nested.
        found = {}
        for run_dir in find_runs(sweep_dir):
            row = read_row(run_dir)
            row["job"] = str(run_dir.relative_to(sweep_dir)) if run_dir != sweep_dir else row["job"]
            found[row["job"]] = row
        ordered = []
        for plan_dir, jobs in _plans(sweep_dir):
            for job in jobs:
                key = os.path.normpath(os.path.relpath(plan_dir / job["folder"], sweep_dir))
                row = found.pop(key, None) or _empty_row(
                    plan_dir / job["folder"],
                    "not run",
                    "planned by the sweep, never started (the sweep stopped before it)",
                    job["overrides"],
                )
                row["job"] = key
                ordered.append(row)
        ordered += sorted(found.values(), key=_number)
        for row in ordered:
            row["sweep"] = str(sweep_dir)
        rows += ordered
    mark_shared(rows)  # merged folders too: their jobs may have shared a host
    return rows


def _number(row: dict[str, Any]) -> tuple:
    """Job folders named by a number in numeric order, then the others by name."""
    job = row["job"]
    return (0, int(job), "") if job.isdigit() else (1, 0, job)


def status_counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    counts = {status: 0 for status in STATUS_ORDER}
    for row in rows:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    return counts


def headline(rows: list[dict[str, Any]]) -> str:
    """ "3 ok, 1 failed, 1 incomplete": ok and failed always, the others when present."""
    counts = status_counts(rows)
    return ", ".join(
        f"{n} {status}" for status, n in counts.items() if n or status in ("ok", "failed")
    )


def swept_keys(rows: list[dict[str, Any]]) -> list[str]:
    """Override keys whose values differ between jobs (all keys if there is one job)."""
    keys: list[str] = []
    for row in rows:
        keys += [k for k in row["overrides"] if k not in keys]
    if len(rows) < 2:
        return keys
    return [k for k in keys if len({row["overrides"].get(k) for row in rows}) > 1]


def check_baseline(baseline: str, overrides: list[dict[str, str]]) -> None:
    """A baseline ("impl=cell_loop") must name a key and value some job has."""
    from seqlab.errors import ConfigError

    key, _, value = baseline.replace(":", "=", 1).partition("=")
    values = sorted({o[key] for o in overrides if key in o})
    if value not in values:
        raise ConfigError(
            f"The baseline {baseline!r} matches no job: "
            + (
                f"{key} takes the values {', '.join(values)} here."
                if values
                else f"no job has an override of {key}."
            )
            + " Give an override of the jobs, e.g. impl=cell_loop (report.baseline=... or "
            "seqlab-report --baseline ...)."
        )


def add_speedup(rows: list[dict[str, Any]], baseline: str) -> None:
    """Add `speedup` = baseline step time / job step time, matching all other swept keys.

    `baseline` is an override, "impl=cell_loop" or "impl:cell_loop" (Hydra's command
    line needs the first form quoted: 'report.baseline="impl=cell_loop"').
    """
    key, _, value = baseline.replace(":", "=", 1).partition("=")
    others = [k for k in swept_keys(rows) if k != key]
    reference = {
        (row.get("sweep"), *(row["overrides"].get(k) for k in others)): row["step_ms_median"]
        for row in rows
        if row["overrides"].get(key) == value and row["step_ms_median"]
    }
    for row in rows:
        base = reference.get((row.get("sweep"), *(row["overrides"].get(k) for k in others)))
        mine = row["step_ms_median"]
        row["speedup"] = base / mine if base and mine else None
