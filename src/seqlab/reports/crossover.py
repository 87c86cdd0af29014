"""Speed-ups adjusted for which job of a pair warmed up first: the two-period crossover.

Why: under `hydra/launcher=interleaved` the job that warmed up first then ran 2-19 %
slower than the other for its whole life, in 21 of 21 A/A pairs measured here
(2026-12-03; the cause is not found, see `seqlab.sweeps.interleave.warmup_order`). The
launcher therefore lets the baseline warm up first for one seed and last for the next,
so the warm-up order alternates from pair to pair, and every pair records it. That is a
crossover design (the AB/BA trial, with "who warmed up first" as its period effect):

    d_r = mu + beta * s_r + e_r,    s_r = +1 when the baseline warmed up first, else -1

The speed-up is exp(mu), mu the intercept of the least-squares fit, i.e. the mean of the
two orders' mean log-ratios; its t interval has n - 2 degrees of freedom. The plain
mean of d is the same number when the orders are balanced, but its spread holds beta:
on the A/A records of 2026-12-03 beta was 0.05-0.17 and the rest about 0.03, so the
plain interval was 2-5 times wider than the adjusted one. When beta is 0 the adjustment
costs one degree of freedom.

The sequential rule (`repeats=auto`) looks at the same statistic after every round, from
round 4 on (at 2 rounds the fit has no degree of freedom left, at 3 one, which spends
alpha on a look that almost never decides: `FIRST_LOOK`): Pocock's nominal level
is calibrated here, as in `seqlab.reports.sequential`, for that statistic with the
orders alternating (the launcher's design). The intercept's t statistic is pivotal
under the null for a fixed design and does not change when every s flips sign, so one
calibration serves every comparison. A round that failed (no value) breaks the
alternation for the rounds after it; the calibration is then approximate, which is said
here rather than simulated.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from seqlab.reports import sequential
from seqlab.reports.sequential import Interval, Outcome

FIT_MIN = 3  # the first n with a degree of freedom left after the intercept and beta
# The sequential rule's first look. At n = 3 (one degree of freedom, t quantile 23 at the
# level for looks 3-4) a look almost never decides but takes its share of alpha: simulated
# (3,000 comparisons a cell, rest sd 0.015, beta 0.02), looks from 4 on found a 5 %
# speed-up at cap 4 in 88 % of comparisons against 72 % from 3, with intervals +-2.7 %
# against +-3.7 %, and at caps 6 and 10 were as good or better with no more rounds.
FIRST_LOOK = 4


def usable(orders: Sequence[int | None]) -> bool:
    """True when every pair's order is known (+1 or -1) and both orders occur."""
    return all(s in (1, -1) for s in orders) and len(set(orders)) == 2


def fit(log_ratios: Sequence[float], orders: Sequence[int]) -> tuple[float, float, int] | None:
    """(mu, its standard error, degrees of freedom) of the fit d = mu + beta * s; None
    when the fit has no degree of freedom left or one order is missing."""
    n = len(log_ratios)
    if n != len(orders):
        raise ValueError(f"{n} log-ratios and {len(orders)} orders")
    if not all(math.isfinite(v) for v in log_ratios):
        raise ValueError("paired log-ratios must be finite")
    if n < FIT_MIN or not usable(orders):
        return None
    groups = {s: [d for d, o in zip(log_ratios, orders, strict=True) if o == s] for s in (1, -1)}
    means = {s: math.fsum(v) / len(v) for s, v in groups.items()}
    residual = math.fsum((d - means[s]) ** 2 for s, v in groups.items() for d in v)
    variance = residual / (n - 2)
    mu = (means[1] + means[-1]) / 2.0
    se = math.sqrt(variance * _unit_variance(len(groups[1]), len(groups[-1])))
    return mu, se, n - 2


def spread(log_ratios: Sequence[float], orders: Sequence[int]) -> float | None:
    """The standard deviation of a pair's log-ratio left after the fit (the rest: what
    seeds and processes add); None where `fit` has no answer."""
    found = fit(log_ratios, orders)
    if found is None:
        return None
    _, se, _ = found
    first = sum(1 for s in orders if s == 1)
    return se / math.sqrt(_unit_variance(first, len(orders) - first))


def seeds_for(sd: float) -> int | None:
    """`sequential.seeds_for` for the crossover: mean and warm-up effect fitted (df n-2),
    orders alternating by seed (ceil(n/2) pairs with the baseline first, floor(n/2) with
    it last)."""
    return sequential.seeds_for(
        sd,
        standard_error=lambda n: math.sqrt(_unit_variance((n + 1) // 2, n // 2)),
        fitted=2,
    )


def _unit_variance(first: int, last: int) -> float:
    """The variance of mu per unit of the rest's variance, with `first` pairs of one
    order and `last` of the other: (1/first + 1/last) / 4."""
    return (1.0 / first + 1.0 / last) / 4.0


def _interval(mu: float, se: float, n: int, quantile: float, level: float) -> Interval:
    half = quantile * se
    return Interval(math.exp(mu), math.exp(mu - half), math.exp(mu + half), n, quantile, level)


def fixed_interval(
    log_ratios: Sequence[float], orders: Sequence[int], alpha: float = sequential.ALPHA
) -> Interval | None:
    """The 95 % crossover interval for a number of pairs fixed in advance (repeats=N)."""
    found = fit(log_ratios, orders)
    if found is None:
        return None
    mu, se, df = found
    quantile = float(sequential._stats().t.isf(alpha / 2.0, df))
    return _interval(mu, se, len(log_ratios), quantile, 1 - alpha)


def looks(min_looks: int, max_looks: int) -> range:
    """The looks this rule takes: from max(min_looks, FIRST_LOOK) to max_looks (empty
    when max_looks < FIRST_LOOK: the plain rule serves those plans)."""
    return range(max(min_looks, FIRST_LOOK), max_looks + 1)


def _null_t_squared(first: int, last: int, sims: int, seed: int):
    """Batches of the intercept's t^2 at looks first..last, under iid N(0, 1) values with
    the orders alternating +1, -1, +1, ... (vectorised with running sums)."""
    rng = np.random.default_rng(seed)
    n = np.arange(first, last + 1, dtype=np.float64)
    s = np.where(np.arange(last) % 2 == 0, 1.0, -1.0)
    m = np.cumsum(s)[first - 1 :]  # sum of s: 1 or 0
    det = n * n - m * m
    for start in range(0, sims, sequential._CHUNK):
        x = rng.standard_normal((min(sequential._CHUNK, sims - start), last))
        total = np.cumsum(x, axis=1)[:, first - 1 :]
        signed = np.cumsum(x * s, axis=1)[:, first - 1 :]
        squares = np.cumsum(x * x, axis=1)[:, first - 1 :]
        mu = (n * total - m * signed) / det
        beta = (n * signed - m * total) / det
        variance = (squares - mu * total - beta * signed) / (n - 2)
        with np.errstate(divide="ignore", invalid="ignore"):
            yield mu * mu / (variance * n / det)


@lru_cache(maxsize=256)
def nominal_level(min_looks: int, max_looks: int, alpha: float = sequential.ALPHA) -> float:
    """Pocock's per-look level for the crossover statistic over `looks(min, max)`: under
    the null the chance that some look's |t| exceeds t_{1 - level/2, n - 2} is alpha
    (Monte Carlo with the fixed seed of `sequential`; deterministic; cached)."""
    sequential.check_looks(min_looks, max_looks, alpha)
    planned = looks(min_looks, max_looks)
    if len(planned) == 0:
        raise ValueError(f"max_looks={max_looks}: the crossover rule looks from {FIRST_LOOK} on")
    if len(planned) == 1:
        return alpha
    stats = sequential._stats()
    df = np.arange(planned.start, planned.stop) - 2
    smallest = []
    for t2 in _null_t_squared(
        planned.start, planned.stop - 1, sequential.CALIBRATION_SIMS, sequential.CALIBRATION_SEED
    ):
        p = np.ones_like(t2)
        rows, cols = np.nonzero(t2 > stats.t.ppf(1.0 - alpha / 2.0, df) ** 2)
        p[rows, cols] = 2.0 * stats.t.sf(np.sqrt(t2[rows, cols]), df[cols])
        smallest.append(p.min(axis=1))
    return sequential._order_statistic(np.concatenate(smallest), alpha)


@lru_cache(maxsize=256)
def look_quantiles(
    min_looks: int, max_looks: int, alpha: float = sequential.ALPHA
) -> tuple[float, ...]:
    """t_{1 - level/2, n - 2} for each look n in `looks(min_looks, max_looks)`."""
    level = nominal_level(min_looks, max_looks, alpha)
    stats = sequential._stats()
    return tuple(float(stats.t.isf(level / 2.0, n - 2)) for n in looks(min_looks, max_looks))


def paired_interval(
    log_ratios: Sequence[float],
    orders: Sequence[int],
    *,
    min_looks: int,
    max_looks: int,
    alpha: float = sequential.ALPHA,
) -> Interval | None:
    """The sequential crossover interval at the look with n = len(log_ratios) values;
    None before the first look or when the fit is not possible there."""
    n = len(log_ratios)
    if n > max_looks:
        raise ValueError(f"{n} paired values, and the looks end at max_looks={max_looks}")
    planned = looks(min_looks, max_looks)
    if n not in planned:
        return None
    found = fit(log_ratios, orders)
    if found is None:
        return None
    mu, se, _ = found
    quantile = look_quantiles(min_looks, max_looks, alpha)[n - planned.start]
    return _interval(mu, se, n, quantile, 1 - nominal_level(min_looks, max_looks, alpha))


def run_sequence(
    log_ratios: Sequence[float],
    orders: Sequence[int],
    *,
    min_looks: int,
    max_looks: int,
    alpha: float = sequential.ALPHA,
    resolution: float = sequential.RESOLUTION,
    halfwidth: float | None = None,
) -> Outcome:
    """`sequential.run_sequence` with the crossover statistic (same decisions' words, the
    same narrowing to a width target after a decision: `sequential.settle`)."""
    values, signs = list(log_ratios)[:max_looks], list(orders)[:max_looks]

    def interval_at(n: int) -> Interval | None:
        return paired_interval(
            values[:n], signs[:n], min_looks=min_looks, max_looks=max_looks, alpha=alpha
        )

    planned = looks(min_looks, len(values))
    return sequential.settle(interval_at, planned, len(values), resolution, halfwidth)
