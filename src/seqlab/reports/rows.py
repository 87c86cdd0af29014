"""A sweep's rows: one per job, read from the jobs' results.json files.

Reads only files, so it works for every launcher (jobs in this process, in
subprocesses, or on a cluster) and for `seqlab-report` on any folder. Every job is
accounted for: a record still "running" whose process is gone is `incomplete`, a
damaged record is `unreadable` (with its path), and a planned job with no record
at all (sweep.json lists the plan) is `not run`.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from seqlab.records.columns import COLUMNS
from seqlab.records.files import RESULTS_FILE, read_json
from seqlab.records.folder import ATTIC_DIR, lock_is_held
from seqlab.records.record import UnreadableRecord, load_record
from seqlab.records.refusals import REFUSED_DIR, read_refusals

SWEEP_FILE = "sweep.json"  # the planned jobs, written when a sweep starts
# Statuses in the order a headline counts them.
STATUS_ORDER = (
    "ok",
    "failed",
    "refused",
    "interrupted",
    "incomplete",
    "running",
    "unreadable",
    "not run",
)


def find_runs(sweep_dir: Path) -> list[Path]:
    """Job folders (any depth, outside .attic) that hold a results.json, in job order."""

    def order(path: Path):
        name = path.parent.name
        return (0, int(name), "") if name.isdigit() else (1, 0, str(path))

    found = [
        p
        for p in Path(sweep_dir).rglob(RESULTS_FILE)
        if not {ATTIC_DIR, REFUSED_DIR} & set(p.relative_to(sweep_dir).parts)
    ]
    return [p.parent for p in sorted(found, key=order)]


def override_dict(overrides: list[str]) -> dict[str, str]:
    pairs = (o.lstrip("+~").split("=", 1) for o in overrides if "=" in o)
    return {key: value for key, value in pairs}


def _empty_row(run_dir: Path, status: str, error: str | None, overrides: list[str]) -> dict:
    row: dict[str, Any] = {column.name: None for column in COLUMNS}
    row.update(
        job=run_dir.name,
        overrides=override_dict(overrides),
        metric=None,
        status=status,
        error=error,
        host=None,
        fit_window=None,
        start=None,
        family=None,
        chunks=None,
        warmup_place=None,
        dataset_options=None,
    )
    return row


def _row(run_dir: Path, record: dict[str, Any]) -> dict[str, Any]:
    """A job's row: every column read from its record (see `seqlab.records.columns`).

    The record passed `load_record`, which checked every column's value."""
    row = _empty_row(run_dir, record.get("status"), record.get("error"), [])
    row["overrides"] = override_dict(record.get("overrides") or [])
    metric = (record.get("metrics") or {}).get("metric")
    row["metric"] = metric if isinstance(metric, str) else None
    for column in COLUMNS:
        if column.read is not None:  # else derived from every job's row (reports.compare)
            row[column.name] = column.read(record)  # checked by load_record
    if row["status"] == "running" and not lock_is_held(run_dir):
        row["status"] = "incomplete"
        row["error"] = (
            f"the process (pid {record.get('pid')} on {record.get('host')}, started "
            f"{record.get('started_at')}) ended without finishing its record: killed, out "
            "of memory or crashed. Re-running the sweep runs this job again (it resumes "
            "from its last checkpoint)."
        )
    launcher = (record.get("env") or {}).get("launcher")
    launcher = launcher if isinstance(launcher, dict) else {}
    # Keyed by host name and, on Ray, the node's address (hosts may share a name).
    row["host"] = f"{record.get('host')} {launcher.get('node') or ''}"
    row["fit_window"] = _window(row["host"], (record.get("timing") or {}).get("fit_window"))
    start = record.get("start")
    row["start"] = start if isinstance(start, dict) else None
    found = (record.get("timing") or {}).get("chunks")
    row["family"], row["chunks"] = _chunks(found)
    row["warmup_place"] = _warmup_place(found) if row["chunks"] else None
    dataset = (record.get("config") or {}).get("dataset")
    row["dataset_options"] = json.dumps(dataset, sort_keys=True) if dataset else None
    return row


def _chunks(found: Any) -> tuple[str | None, dict[int, float] | None]:
    """(family, {round: seconds per step}) of an interleaved job's chunks, as
    `seqlab.training.interleave` records them; (None, None) for anything else (a job
    that ran alone, or a record whose chunks are not what seqlab writes)."""
    if not isinstance(found, dict) or not isinstance(found.get("family"), str):
        return None, None
    rounds = found.get("rounds")
    if not isinstance(rounds, list):
        return None, None
    series: dict[int, float] = {}
    for entry in rounds:
        if not (isinstance(entry, list) and len(entry) >= 2):
            return None, None
        number, seconds = entry[0], entry[1]
        whole = isinstance(number, int) and not isinstance(number, bool)
        timed = isinstance(seconds, int | float) and not isinstance(seconds, bool)
        if not (whole and timed and math.isfinite(seconds) and seconds > 0):
            return None, None
        series[number] = float(seconds)
    return found["family"], series or None


def _warmup_place(found: dict[str, Any]) -> int | None:
    """The job's place among its family's warm-ups (0: first); None when not recorded
    (records written before it was) or not a whole number >= 0."""
    place = found.get("warmup_place")
    whole = isinstance(place, int) and not isinstance(place, bool)
    return place if whole and place >= 0 else None


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


def read_row(run_dir: Path) -> dict[str, Any]:
    """The row of one job folder, whatever state its record is in."""
    path = Path(run_dir) / RESULTS_FILE
    try:
        return _row(Path(run_dir), load_record(path) or {})
    except UnreadableRecord as exc:
        return _empty_row(Path(run_dir), "unreadable", f"{path} {exc}", [])


def planned_jobs(sweep_dir: Path) -> list[dict[str, Any]] | None:
    """Every job the sweep planned (sweep.json): its overrides and folder (relative to the
    sweep folder); None if not recorded. Plans of older seqlab versions list overrides
    only, the job's folder being its number."""
    try:
        plan = read_json(Path(sweep_dir) / SWEEP_FILE)
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
    with several folders each row names its `sweep`. The columns derived from all the
    rows together are filled in by `seqlab.reports.compare.derive`."""
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
        refused = read_refusals(sweep_dir)
        for row in ordered:
            row["sweep"] = str(sweep_dir)
            if row["job"] in refused:  # it did not run this time; its folder is older
                row["status"], row["error"] = "refused", refused[row["job"]]
        rows += ordered
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
