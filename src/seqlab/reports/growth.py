"""How cost grows with a numeric swept key: power laws, crossovers, the break-even.

For every numeric swept key (sequence length, units, batch size, ...) with at least
three values, and every configuration of the other swept keys, each figure (step time,
first epoch, peak memory) is fitted as a power law, figure = a * size^b, by least
squares on log-log axes: `b` is the exponent (1: linear, 2: quadratic), with its 95 %
interval (Student's t with n - 2 degrees of freedom on the slope). A power law is said
to fit badly when the points bend: the quadratic term of a log-log fit is beyond its
own 95 % interval and the local slopes at the two ends differ by more than 0.25; the
row then says so and gives the slopes at the ends instead of trusting one exponent.
Rows go to growth.csv.

Two configurations that differ in one other key (impl=manual against impl=cell_loop)
are compared at every size: where their step times cross inside the measured range
(the crossover, from the two fitted lines, with an interval from their slopes'
uncertainty), and, at each measured size, how many training steps the one faster per
step needs to pay back a longer warm-up (first epoch minus its steps: tracing), and
which of the two reached the sweep's own epochs first. Rows go to crossovers.csv.

A size that failed (out of memory, past the time cap) ends its curve: the rows and the
page say where and why.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from typing import Any

FIGURES = (
    ("step_ms_median", "step time (ms)"),
    ("first_epoch_s", "first epoch (s)"),
    ("peak_rss_mb", "peak memory (MiB)"),
)
MIN_POINTS = 3
BEND = 0.25  # local slopes at the two ends further apart than this: not one power law


@dataclass(frozen=True)
class Fit:
    """figure = exp(intercept) * size ** exponent, from `points` (size, value)."""

    exponent: float
    low: float | None
    high: float | None
    intercept: float
    points: tuple[tuple[float, float], ...]
    r2: float | None
    bends: bool
    slopes: tuple[float, float]  # local slopes at the small and the large end
    residual_sd: float
    slope_se: float | None

    def at(self, size: float) -> float:
        return math.exp(self.intercept + self.exponent * math.log(size))


def number(value: Any) -> float | None:
    """A swept value as a positive finite number; None for anything else (Python's float()
    also reads "٨" as 8 and "1_0" as 10: a size is written in ASCII digits or not at all)."""
    text = str(value)
    if not text.isascii() or "_" in text:
        return None
    try:
        found = float(text)
    except (TypeError, ValueError):
        return None
    return found if math.isfinite(found) and found > 0 else None


def fit(points: list[tuple[float, float]]) -> Fit | None:
    """The power law through (size, value) points on log-log axes; None with fewer than
    MIN_POINTS distinct sizes with positive values."""
    import numpy as np

    from seqlab.errors import require

    points = sorted((x, y) for x, y in points if x > 0 and y is not None and y > 0)
    if len({x for x, _ in points}) < MIN_POINTS:
        return None
    require("scipy", "stats", "The intervals of fitted exponents")
    from scipy import stats

    x = np.log([p[0] for p in points])
    y = np.log([p[1] for p in points])
    n = len(points)
    slope, intercept = np.polyfit(x, y, 1)
    residuals = y - (intercept + slope * x)
    dof = n - 2
    sxx = float(((x - x.mean()) ** 2).sum())
    sd = float(math.sqrt((residuals**2).sum() / dof)) if dof > 0 else 0.0
    se = sd / math.sqrt(sxx) if dof > 0 and sxx > 0 else None
    half = float(stats.t.ppf(0.975, dof)) * se if se is not None else None
    total = float(((y - y.mean()) ** 2).sum())
    r2 = 1.0 - float((residuals**2).sum()) / total if total > 0 else None
    ends = _end_slopes(list(zip(x.tolist(), y.tolist(), strict=True)))
    return Fit(
        exponent=float(slope),
        low=None if half is None else float(slope - half),
        high=None if half is None else float(slope + half),
        intercept=float(intercept),
        points=tuple(points),
        r2=r2,
        bends=_bends(x, y) and abs(ends[1] - ends[0]) > BEND,
        slopes=ends,
        residual_sd=sd,
        slope_se=se,
    )


def _end_slopes(logs: list[tuple[float, float]]) -> tuple[float, float]:
    """The slopes between the first two and the last two sizes (means at equal sizes)."""
    by_size: dict[float, list[float]] = {}
    for x, y in logs:
        by_size.setdefault(x, []).append(y)
    xs = sorted(by_size)
    ys = [sum(by_size[x]) / len(by_size[x]) for x in xs]
    first = (ys[1] - ys[0]) / (xs[1] - xs[0])
    last = (ys[-1] - ys[-2]) / (xs[-1] - xs[-2])
    return float(first), float(last)


def _bends(x: Any, y: Any) -> bool:
    """Whether a quadratic term on log-log axes is beyond its 95 % interval."""
    import numpy as np
    from scipy import stats

    n = len(x)
    if n < 4 or len(set(x.tolist())) < 4:
        return False
    design = np.column_stack([np.ones(n), x, x**2])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    residuals = y - design @ coef
    dof = n - 3
    sigma2 = float((residuals**2).sum() / dof)
    cov = sigma2 * np.linalg.inv(design.T @ design)
    se = math.sqrt(float(cov[2, 2]))
    return se > 0 and abs(coef[2]) > float(stats.t.ppf(0.975, dof)) * se


@dataclass(frozen=True)
class Curve:
    """One configuration's points along one key, and where its curve ended early."""

    key: str
    label: str
    rest: tuple[tuple[str, str], ...]  # the other swept keys' values
    rows: tuple[dict[str, Any], ...]  # its ok rows with a numeric value of `key`
    ended: str | None  # "at length=800: out of memory", the first size that failed


def curves(rows: list[dict[str, Any]], keys: list[str], label: Any) -> list[Curve]:
    """Every configuration's curve along every numeric swept key with MIN_POINTS values."""
    found = []
    for key in keys:
        values = {r["overrides"].get(key) for r in rows}
        if len(values) < MIN_POINTS or any(number(v) is None for v in values):
            continue
        others = [k for k in keys if k != key]
        lines: dict[tuple, list[dict[str, Any]]] = {}
        for row in rows:
            rest = tuple((k, str(row["overrides"].get(k))) for k in others)
            lines.setdefault(rest, []).append(row)
        for rest, members in lines.items():
            members.sort(key=lambda r: number(r["overrides"].get(key)) or 0.0)
            ok = tuple(m for m in members if m.get("status") == "ok")
            failed = [m for m in members if m.get("status") not in ("ok", None)]
            ended = None
            if failed:
                first = failed[0]
                reason = str(first.get("error") or first.get("status")).split(". ")[0]
                ended = f"at {key}={first['overrides'].get(key)}: {reason}"
            name = label({"overrides": dict(rest), "job": ""}, others) if others else "all"
            found.append(Curve(key, name, rest, ok, ended))
    return found


def growth_rows(found: list[Curve]) -> list[dict[str, Any]]:
    """growth.csv's rows: one per curve and figure with a fit (or a reason for none)."""
    out = []
    for curve in found:
        for figure, _ in FIGURES:
            points = [
                (number(r["overrides"].get(curve.key)), r.get(figure))
                for r in curve.rows
                if r.get(figure) is not None
            ]
            fitted = fit([(x, y) for x, y in points if x is not None])
            row: dict[str, Any] = {
                "configuration": curve.label,
                "key": curve.key,
                "figure": figure,
                "points": len(points),
                "sizes": " ".join(f"{x:g}" for x, _ in sorted(p for p in points if p[0])),
                "exponent": None,
                "exponent_low": None,
                "exponent_high": None,
                "r2": None,
                "fit": "fewer than 3 sizes measured",
                "ended": curve.ended,
            }
            if fitted is not None:
                row.update(
                    exponent=fitted.exponent,
                    exponent_low=fitted.low,
                    exponent_high=fitted.high,
                    r2=fitted.r2,
                    fit=(
                        f"bends: no single power law (local exponent {fitted.slopes[0]:.2f} "
                        f"at the small end, {fitted.slopes[1]:.2f} at the large end)"
                        if fitted.bends
                        else "power law"
                    ),
                )
            out.append(row)
    return out


def crossover(a: Fit, b: Fit) -> tuple[float | None, float | None, float | None]:
    """Where two fitted curves cross (size, and a 95 % interval from the slopes'
    uncertainty, by simulation with a fixed seed); None where they are parallel."""
    import numpy as np

    gap = a.exponent - b.exponent
    where = (b.intercept - a.intercept) / gap if abs(gap) > 1e-12 else math.inf
    if not abs(where) < 700:  # parallel, or crossing past any size a float can hold
        return None, None, None
    at = math.exp(where)
    if a.slope_se is None or b.slope_se is None:
        return at, None, None
    rng = np.random.default_rng(0)
    # Each line's uncertainty about its centre (the mean log size): slope and level.
    draws = []
    for line in (a, b):
        xs = np.log([p[0] for p in line.points])
        centre = float(xs.mean())
        level = line.intercept + line.exponent * centre
        slope = rng.normal(line.exponent, line.slope_se, 4000)
        shift = rng.normal(0.0, line.residual_sd / math.sqrt(len(xs)), 4000)
        draws.append((slope, level + shift, centre))
    (sa, la, ca), (sb, lb, cb) = draws
    # a: la + sa (x - ca), b: lb + sb (x - cb): equal where x = ...
    with np.errstate(divide="ignore", invalid="ignore"):
        x = (lb - la + sa * ca - sb * cb) / (sa - sb)
    x = x[np.isfinite(x)]
    if len(x) < 100:
        return at, None, None
    low, high = np.clip(np.percentile(x, [2.5, 97.5]), -700, 700)
    return at, float(math.exp(low)), float(math.exp(high))


def pairs(found: list[Curve]) -> list[tuple[Curve, Curve, str]]:
    """Curves along the same key that differ in exactly one other key (and that key)."""
    out = []
    for i, a in enumerate(found):
        for b in found[i + 1 :]:
            if a.key != b.key:
                continue
            differ = [k for (k, va), (_, vb) in zip(a.rest, b.rest, strict=True) if va != vb]
            if len(differ) == 1:
                out.append((a, b, differ[0]))
    return out


def crossover_rows(found: list[Curve], baseline: str | None = None) -> list[dict[str, Any]]:
    """crossovers.csv's rows: per pair, the crossover; per pair and measured size, the
    break-even of the warm-up and which reached the sweep's epochs first. A row's speed-up
    interval speaks of this pair only when the pair is a configuration and its baseline
    (`baseline`); then a difference within it states no break-even."""
    out = []
    for a, b, differ in pairs(found):
        fa = fit([(number(r["overrides"].get(a.key)), r.get("step_ms_median")) for r in a.rows])
        fb = fit([(number(r["overrides"].get(b.key)), r.get("step_ms_median")) for r in b.rows])
        sizes = sorted(
            {number(r["overrides"].get(a.key)) for r in a.rows}
            & {number(r["overrides"].get(b.key)) for r in b.rows}
        )
        base = {"key": a.key, "a": a.label, "b": b.label, "differ": differ}
        if fa is not None and fb is not None and sizes:
            at, low, high = crossover(fa, fb)
            inside = at is not None and sizes[0] <= at <= sizes[-1]
            # Settled only when the interval stays within the measured sizes too: two
            # curves within each other's noise "cross" anywhere.
            settled = inside and low is not None and sizes[0] <= low and high <= sizes[-1]
            out.append(
                {
                    **base,
                    "size": None,
                    "what": "crossover of step time",
                    "value": at if inside else None,
                    "low": low if inside else None,
                    "high": high if inside else None,
                    "first": None,
                    "said": _crossing(a.key, at, low, high, inside, settled, sizes),
                }
            )
        for size in sizes:
            ra = next(r for r in a.rows if number(r["overrides"].get(a.key)) == size)
            rb = next(r for r in b.rows if number(r["overrides"].get(b.key)) == size)
            said = break_even(ra, rb, a.label, b.label, _measured_against(a, b, differ, baseline))
            if said is not None:
                out.append({**base, "size": size, "what": "break-even of the warm-up", **said})
    return out


def _crossing(
    key: str, at: Any, low: Any, high: Any, inside: bool, settled: bool, sizes: list[float]
) -> str:
    measured = f"{key} {sizes[0]:g}-{sizes[-1]:g}"
    if not inside:
        return f"step times do not cross within {measured}"
    said = f"step times cross at {key} = {at:.3g}"
    if low is not None:
        said += f" [{low:.3g}, {high:.3g}]"
    if not settled:
        said += (
            f": the interval reaches past {measured}, so where (or whether) they cross is "
            "within the noise"
        )
    return said


def warmup_cost(row: dict[str, Any]) -> float | None:
    """The first epoch's seconds beyond what its steps cost at steady speed (tracing and
    compilation, mostly); None without the figures."""
    first, step = row.get("first_epoch_s"), row.get("step_ms_median")
    steps = row.get("steps_per_epoch")
    if first is None or step is None or not steps:
        return None
    return first - steps * step / 1000.0


def _measured_against(a: Curve, b: Curve, differ: str, baseline: str | None) -> str | None:
    """ "a" or "b": the curve whose rows' speed-up intervals are against the other's rows
    (the pair is a configuration and its baseline); None for any other pair."""
    if not baseline:
        return None
    from seqlab.reports.baseline import Baseline

    chosen = Baseline.parse(baseline)
    if differ != chosen.key:
        return None
    if dict(a.rest).get(chosen.key) == chosen.value:
        return "b"
    if dict(b.rest).get(chosen.key) == chosen.value:
        return "a"
    return None


def break_even(
    a: dict[str, Any],
    b: dict[str, Any],
    name_a: str,
    name_b: str,
    against: str | None = None,
) -> dict[str, Any] | None:
    """At one size: the steps after which the configuration faster per step has paid
    back a longer warm-up, and which reached the sweep's epochs first."""
    wa, wb = warmup_cost(a), warmup_cost(b)
    ta, tb = a.get("step_ms_median"), b.get("step_ms_median")
    if None in (wa, wb, ta, tb) or ta == tb:
        return None
    judged = {"a": (a, name_a, name_b), "b": (b, name_b, name_a)}.get(against or "")
    if judged is not None:  # a configuration against its baseline: its interval says
        row, name, other = judged
        low, high = row.get("speedup_low"), row.get("speedup_high")
        if low is not None and high is not None and low <= 1.0 <= high:
            return {
                "value": None,
                "low": None,
                "high": None,
                "first": None,
                "said": f"{name} and {other} take the same time per step within the noise "
                f"(speed-up [{low:.3g}, {high:.3g}]): no break-even to state",
            }
    fast, slow = ((a, name_a, wa, ta), (b, name_b, wb, tb))[:: 1 if ta < tb else -1]
    (_, fast_name, fast_warm, fast_step), (_, _, slow_warm, slow_step) = fast, slow
    total = {}
    for row, name, warm, step in (fast, slow):
        steps = (row.get("epochs") or 1) * (row.get("steps_per_epoch") or 0)
        total[name] = warm + steps * step / 1000.0
    first = min(total, key=total.get)
    if fast_warm <= slow_warm:
        steps_needed = 0.0
        said = f"{fast_name} is faster per step and warms up no slower: ahead from the start"
    else:
        steps_needed = (fast_warm - slow_warm) / ((slow_step - fast_step) / 1000.0)
        said = (
            f"{fast_name} is faster per step ({fast_step:.3g} vs {slow_step:.3g} ms) but its "
            f"warm-up takes {fast_warm - slow_warm:.3g} s longer: it pays that back after "
            f"{steps_needed:,.0f} steps"
        )
    said += f"; over this sweep's epochs {first} finished first"
    if judged is None:  # each was paired with the baseline, not with the other
        said += " (the two were not compared with each other: no interval, a rough figure)"
    return {"value": steps_needed, "low": None, "high": None, "first": first, "said": said}


def to_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows([{k: "" if v is None else v for k, v in row.items()} for row in rows])
    return out.getvalue()
