"""Repeated runs: jobs that differ only in `trainer.seed` become one row with statistics.

For every measured quantity a group gets the mean, the standard deviation (n - 1) and
the half-width of a 95 % confidence interval of the mean (Student's t, n - 1 degrees
of freedom), over the values its ok jobs have (`n` counts the ok jobs, `n_timed` those
with a step time). The speed-up over a baseline group is paired seed by seed
(`seqlab.reports.speedup`), never a ratio of two means whose jobs ran minutes apart.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import Any

from seqlab.records.columns import COLUMNS

SEED_KEY = "trainer.seed"


def seed_of(row: dict[str, Any]) -> int:
    """A job row's seed as a number (0 where it has none, or not a whole number)."""
    text = str(row["overrides"].get(SEED_KEY, ""))
    return int(text) if text.isdigit() else 0


def t_quantile(dof: float) -> float:
    """The two-sided 95 % quantile of Student's t with `dof` degrees of freedom."""
    from seqlab.errors import require

    require("scipy", "stats", "The 95 % intervals of repeated seeds")
    from scipy.stats import t

    return float(t.ppf(0.975, dof))


def usable(values: list[Any]) -> list[float]:
    """The finite numbers among `values` (a job without a figure has None)."""
    return [v for v in values if isinstance(v, int | float) and math.isfinite(v)]


def describe(values: list[float]) -> tuple[float | None, float | None, float | None]:
    """(mean, standard deviation, 95 % interval half-width) of the finite values; None
    where undefined."""
    values = usable(values)
    if not values:
        return None, None, None
    mean = sum(values) / len(values)
    if len(values) < 2:
        return mean, None, None
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
    return mean, std, t_quantile(len(values) - 1) * std / math.sqrt(len(values))


def has_repeats(rows: list[dict[str, Any]]) -> bool:
    """Whether some jobs differ in trainer.seed alone."""
    seen: dict[tuple, set] = {}
    for row in rows:
        seen.setdefault(_identity(row), set()).add(row["overrides"].get(SEED_KEY))
    return any(len(seeds) > 1 for seeds in seen.values())


def _identity(row: dict[str, Any]) -> tuple:
    """A configuration: its sweep and overrides without the seed. Not its metric: a job
    that has none (interrupted, failed, not run) belongs to its configuration all the
    same, or it would stand beside it as a group of its own and take its place."""
    others = tuple(sorted((k, v) for k, v in row["overrides"].items() if k != SEED_KEY))
    return (row.get("sweep"), others)


def _summarise(kind: str, members: list[dict[str, Any]], ok: list[dict[str, Any]], name: str):
    """A group's value of one column, as the column table's `group` says."""
    values = [m.get(name) for m in members if m.get(name) is not None]
    if kind == "first":
        firsts = [m.get(name) for m in (ok or members) if m.get(name) is not None]
        return firsts[0] if firsts else None
    if kind == "max":
        return max(values) if values else None
    if kind == "count":
        return sum(bool(v) for v in values) if values else None
    if kind == "all":
        return all(values) if values else None
    if kind == "worst":  # the first that is not "yes" (same_start), else "yes"
        return next((v for v in values if v != "yes"), values[0] if values else None)
    raise ValueError(f"unknown group kind {kind!r}")


def group_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per group of jobs that differ only in the seed, in the order of first jobs.

    Every column is summarised as the column table says (`seqlab.records.columns`);
    statistics come from the group's ok jobs."""
    groups: OrderedDict[tuple, list[dict[str, Any]]] = OrderedDict()
    for row in rows:
        groups.setdefault(_identity(row), []).append(row)
    out = []
    for members in groups.values():
        ok = [m for m in members if m["status"] == "ok"]
        first = members[0]
        statuses: dict[str, int] = {}
        for member in members:
            statuses[member["status"]] = statuses.get(member["status"], 0) + 1
        group = {
            "sweep": first.get("sweep"),
            "metric": next((m["metric"] for m in members if m["metric"]), None),
            "overrides": {k: v for k, v in first["overrides"].items() if k != SEED_KEY},
            "job": ",".join(m["job"] for m in members),
            "seeds": ",".join(str(m["overrides"].get(SEED_KEY, "")) for m in members),
            "n": len(ok),
            "n_timed": len(usable([m.get("step_ms_median") for m in ok])),
            "status": "ok"
            if len(ok) == len(members)
            else ", ".join(f"{n} {s}" for s, n in statuses.items()),
            "error": "; ".join(m["error"] for m in members if m.get("error")) or None,
            "members": members,  # the jobs, for the paired speed-up (reports.speedup)
        }
        for column in COLUMNS:
            if column.group == "stats":
                mean, std, half = describe([m.get(column.name) for m in ok])
                group[column.name] = mean
                group[f"{column.name}_std"], group[f"{column.name}_ci95"] = std, half
            else:
                kind = "worst" if column.name == "same_start" else column.group
                group[column.name] = _summarise(kind, members, ok, column.name)
        out.append(group)
    return out
