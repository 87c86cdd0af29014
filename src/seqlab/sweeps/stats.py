"""Repeated runs: jobs that differ only in `trainer.seed` become one row with statistics.

For every measured quantity a group gets the mean, the standard deviation (n - 1) and
the half-width of a 95 % confidence interval of the mean (Student's t, n - 1 degrees
of freedom), over the values its ok jobs have (`n` counts the ok jobs, `n_timed` those
with a step time: the n of the step statistics and of the speed-up). The speed-up over
a baseline group is the ratio of the mean step times; its interval comes from the
standard errors of the two means on a log scale (the delta method) with
Welch-Satterthwaite degrees of freedom, and `beyond_noise` says whether that interval
excludes 1, i.e. whether the difference is larger than the seed-to-seed noise. Its
real coverage, simulated in tests/test_stats.py and given in docs/records.md, is close
to 95 % from 5 seeds on and conservative at 3.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import Any

SEED_KEY = "trainer.seed"
STATISTICS = ("val_metric", "test_metric", "step_ms_median", "samples_per_s", "first_epoch_s")
# How the group's jobs shared their hosts (jobs_at_once: the most of any member).
SHARING = ("launcher", "workers_per_node", "jobs_at_once")


def t_quantile(dof: float) -> float:
    """The two-sided 95 % quantile of Student's t with `dof` degrees of freedom."""
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


def welch_dof(terms: list[float], counts: list[int]) -> float:
    """Welch-Satterthwaite degrees of freedom of a sum of variances of means
    (`terms[i]` = s_i^2 / n_i, here on a log scale) from `counts[i]` values each."""
    denominator = sum(t**2 / (n - 1) for t, n in zip(terms, counts, strict=True))
    return sum(terms) ** 2 / denominator if denominator > 0 else float(min(counts) - 1)


def ratio_interval(base: list[float], other: list[float]) -> tuple[float, float, float] | None:
    """(speed-up, low, high): mean(base) / mean(other) with its 95 % interval, from the
    delta method on a log scale and Welch-Satterthwaite degrees of freedom; None when
    either side has fewer than two values."""
    base, other = usable(base), usable(other)
    if len(base) < 2 or len(other) < 2:
        return None
    terms, counts = [], []
    for values in (base, other):
        mean, std, _ = describe(values)
        if not mean:
            return None
        terms.append(std**2 / (len(values) * mean**2))
        counts.append(len(values))
    ratio = describe(base)[0] / describe(other)[0]
    spread = t_quantile(welch_dof(terms, counts)) * math.sqrt(sum(terms))
    return ratio, ratio * math.exp(-spread), ratio * math.exp(spread)


def has_repeats(rows: list[dict[str, Any]]) -> bool:
    """Whether some jobs differ in trainer.seed alone."""
    seen: dict[tuple, set] = {}
    for row in rows:
        seen.setdefault(_identity(row), set()).add(row["overrides"].get(SEED_KEY))
    return any(len(seeds) > 1 for seeds in seen.values())


def _identity(row: dict[str, Any]) -> tuple:
    others = tuple(sorted((k, v) for k, v in row["overrides"].items() if k != SEED_KEY))
    return (row.get("sweep"), row["metric"], others)


def group_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per group of jobs that differ only in the seed, in the order of first jobs."""
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
            "metric": first["metric"],
            "overrides": {k: v for k, v in first["overrides"].items() if k != SEED_KEY},
            "job": ",".join(m["job"] for m in members),
            "seeds": ",".join(str(m["overrides"].get(SEED_KEY, "")) for m in members),
            "n": len(ok),
            "n_timed": len(usable([m["step_ms_median"] for m in ok])),
            "step_values": usable([m["step_ms_median"] for m in ok]),
            "status": "ok"
            if len(ok) == len(members)
            else ", ".join(f"{n} {s}" for s, n in statuses.items()),
            "error": "; ".join(m["error"] for m in members if m.get("error")) or None,
            "backend": first.get("backend"),
            "kernel": first.get("kernel"),
            "jit_compile": first.get("jit_compile"),
            "launcher": first.get("launcher"),
            "workers_per_node": first.get("workers_per_node"),
            "jobs_at_once": max((m.get("jobs_at_once") or 0 for m in members), default=0) or None,
        }
        for column in STATISTICS:
            mean, std, half = describe([m[column] for m in ok])
            group[column], group[f"{column}_std"], group[f"{column}_ci95"] = mean, std, half
        out.append(group)
    return out


def add_group_speedup(groups: list[dict[str, Any]], baseline: str) -> None:
    """`speedup` (baseline mean step time / the group's), its 95 % interval, beyond_noise."""
    from seqlab.sweeps.rows import add_speedup

    add_speedup(groups, baseline)  # the ratio of the means, matched like single jobs
    key, _, value = baseline.replace(":", "=", 1).partition("=")
    others = [k for k in _keys(groups) if k != key]
    reference = {
        (g.get("sweep"), *(g["overrides"].get(k) for k in others)): g
        for g in groups
        if g["overrides"].get(key) == value
    }
    for group in groups:
        base = reference.get((group.get("sweep"), *(group["overrides"].get(k) for k in others)))
        group["speedup_low"] = group["speedup_high"] = group["beyond_noise"] = None
        if not base or not group.get("speedup") or base is group:
            continue
        interval = ratio_interval(base["step_values"], group["step_values"])
        if interval is not None:
            _, group["speedup_low"], group["speedup_high"] = interval
            group["beyond_noise"] = not group["speedup_low"] <= 1.0 <= group["speedup_high"]


def _keys(groups: list[dict[str, Any]]) -> list[str]:
    from seqlab.sweeps.rows import swept_keys

    return swept_keys(groups)


def group_table(groups: list[dict[str, Any]], baseline: str | None) -> tuple[list[str], list[list]]:
    """Header and cells of the grouped table: swept keys (not the seed), n, statistics."""
    from seqlab.sweeps.table import leading_columns

    keys = _keys(groups)
    if baseline:
        add_group_speedup(groups, baseline)
    leading, shared = leading_columns(groups)
    stats = [f"{c}{s}" for c in STATISTICS for s in ("", "_std", "_ci95")]
    named = [c.replace("metric", shared) if shared and "_metric" in c else c for c in stats]
    tail = ["speedup", "speedup_low", "speedup_high", "beyond_noise"] if baseline else []
    header = [*leading, "job", *keys, "n", "n_timed", "seeds", "status", "backend",
              "jit_compile", "kernel", *named, *tail, *SHARING, "error"]  # fmt: skip
    cells = []
    for g in groups:
        values = [g.get(c) for c in leading] + [g["job"]]
        values += [g["overrides"].get(k, "") for k in keys]
        values += [g["n"], g["n_timed"], g["seeds"], g["status"], g["backend"]]
        values += [g["jit_compile"], g["kernel"]]
        values += [g[c] for c in stats] + [g.get(c) for c in tail]
        values += [g.get(c) for c in SHARING] + [g["error"] or ""]
        cells.append(values)
    return header, cells
