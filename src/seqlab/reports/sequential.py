"""Paired speed-up intervals, a stopping rule that keeps its error rate, and interleaved chunks.

Why paired: the machine drifts by tens of percent over minutes, and two configurations
timed minutes apart carry that drift into their difference. Round r runs every undecided
configuration and its baseline once, with the same seed r, in an order shuffled per round,
so each round gives one paired log-ratio d_r = log(baseline step time / configuration step
time). With the order shuffled, a drift that is slow compared with a round becomes a
symmetric, zero-mean term of d_r, independent from round to round, instead of a bias.
The speed-up is exp(mean d) and its interval the one-sample t interval on the d_r.

Why a calibrated boundary: deciding after every round from round `min_looks` on with a
plain 95 % interval is a repeated significance test; under the null it declares a
difference in 6 % (4 rounds) to 14 % (10 rounds) of the comparisons. Here the interval at
every look uses one nominal level alpha' (Pocock's shape on the t statistic), found so
that under the null with iid Gaussian d_r the chance that any look's |t| exceeds its
t_{1 - alpha'/2, n - 1} is alpha. The t statistic is pivotal under the null (its law
depends neither on the mean nor on the spread), so one Monte Carlo calibration with a
fixed seed serves every comparison. Centred at the true mean the same statistics have the
same law, so the intervals are a confidence sequence over the planned looks: with
probability 1 - alpha they hold the true speed-up at every look at once. They are
therefore both the decision rule and the interval to report at whatever look the
comparison stopped. A look is the arrival of the n-th paired value, n = min_looks ..
max_looks; a failed job gives no value, hence only fewer looks (never more), which can
only lower the error rate.

Why batch means for chunks: with the interleaving launcher two processes compute in turn,
one chunk of a few steps each per round, in a fresh random order per round; the
log-ratio of a round's two chunk times cancels the machine's drift, but what is left is
correlated from round to round (a process's own speed wanders, a neighbour's burst of
load lasting seconds slows the two processes unequally). Means over blocks of consecutive
rounds are nearly independent, and the t interval over the block means is the
within-pair interval. It covers the noise inside this pair of processes only: a process
has its own speed (memory layout and the like; two equal-cost models gave 0.957-1.043
over six process pairs, sd about 0.03), which no number of rounds inside one pair
averages away. Across pairs (fresh processes, seeds) each pair's mean log-ratio is one
d_r of the paired rule above, whose interval covers both.

Only numpy and scipy are needed; nothing here knows about seqlab.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np


def _stats():
    """scipy.stats, imported when a number needs it: a sweep's driver imports this module
    when it starts, and a sweep without repeats never needs scipy (`seqlab[stats]`)."""
    from seqlab.errors import require

    require("scipy", "stats", "The intervals of speed-ups and the stopping rule")
    from scipy import stats

    return stats


ALPHA = 0.05
RESOLUTION = 0.05
MAX_LOOKS = 100  # the sweeper's cap on max_rounds
CALIBRATION_SEED = 20261203  # fixed: the boundary is a constant of (min, max, alpha)
CALIBRATION_SIMS = 100_000  # Monte Carlo error of the realised error rate: +-0.07 pp (1 sd)
# The smallest alpha the calibration can resolve: 100 of its simulations in the tail.
# Below it the order statistic is a handful of values (or none: a level of 1 and an
# interval of zero width, which called every comparison beyond the noise).
MIN_ALPHA = 100 / CALIBRATION_SIMS
_CHUNK = 10_000  # simulated sequences per batch: bounds memory at max_looks 100 (8 MB)
SHAPES = ("pocock", "obrien-fleming", "bonferroni")

FASTER = "faster beyond the noise"
SLOWER = "slower beyond the noise"
WITHIN = "within resolution"


@dataclass(frozen=True)
class Interval:
    """A speed-up (baseline time / configuration time) with its interval, all as ratios.

    `n` is the number of paired values it comes from, `quantile` the t multiplier used
    and `level` the nominal two-sided coverage of that one interval (1 - alpha' for a
    sequential look, 1 - alpha for a fixed-n interval)."""

    estimate: float
    low: float
    high: float
    n: int
    quantile: float
    level: float


@dataclass(frozen=True)
class Outcome:
    """What the decision loop concluded: the decision (None: none at the cap), the
    interval at the look where it stopped (None: no look was reached) and the number of
    paired values used.

    With a width target (`halfwidth`), a decided comparison goes on to later looks and
    `interval` is the intersection of its intervals from the decision's look on
    (`narrow`); `decided_at` is the look that decided, `narrowing` whether the target was
    still unmet when the values ran out (the sweeper then runs another seed), and
    `disjoint` whether a later look's interval missed the intersection so far (the
    looks contradict each other: narrowing stopped there)."""

    decision: str | None
    interval: Interval | None
    n: int
    decided_at: int | None = None
    narrowing: bool = False
    disjoint: bool = False


@dataclass(frozen=True)
class ChunkPair:
    """One pair of interleaved processes: the speed-up from its rounds' chunk ratios.

    `log_ratio` is the mean log-ratio (the value this pair contributes as one d_r across
    pairs); `low`/`high` the batch-means interval, which covers within-pair noise only
    (None with fewer than two blocks); `rounds` the rounds used, `block` the rounds per
    block, `blocks` their number."""

    estimate: float
    low: float | None
    high: float | None
    log_ratio: float
    rounds: int
    block: int
    blocks: int


def check_looks(min_looks: int, max_looks: int, alpha: float) -> None:
    """Refuse a look plan the rule cannot serve: an interval needs 2 values, and the
    calibration is done for at most MAX_LOOKS looks."""
    whole = all(isinstance(v, int) and not isinstance(v, bool) for v in (min_looks, max_looks))
    if not whole or not 2 <= min_looks <= max_looks <= MAX_LOOKS:
        raise ValueError(
            f"min_looks={min_looks!r}, max_looks={max_looks!r}: need whole numbers "
            f"2 <= min_looks <= max_looks <= {MAX_LOOKS}"
        )
    if not MIN_ALPHA <= alpha < 1.0:
        raise ValueError(f"alpha={alpha!r} must lie in [{MIN_ALPHA:g}, 1)")


def _null_t_squared(min_looks: int, max_looks: int, sims: int, seed: int):
    """Batches of t^2 at the looks n = min_looks..max_looks of iid N(0, 1) sequences.

    The t statistic is pivotal under the null, so N(0, 1) stands for any Gaussian d."""
    rng = np.random.default_rng(seed)
    looks = np.arange(min_looks, max_looks + 1)
    n = looks.astype(np.float32)
    for start in range(0, sims, _CHUNK):
        # float32 halves the time; its rounding moves a p-value near 0.01 by ~1e-6.
        x = rng.standard_normal((min(_CHUNK, sims - start), max_looks), dtype=np.float32)
        s = np.cumsum(x, axis=1)[:, looks - 1]
        q = np.cumsum(x * x, axis=1)[:, looks - 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            yield (s * s / n / ((q - s * s / n) / (n - 1))).astype(np.float64)


def _p_values_below(t2: np.ndarray, looks: np.ndarray, level: float | np.ndarray) -> np.ndarray:
    """Two-sided p-values of t^2 (columns: looks), computed only where p < level (a number,
    or one per look; 1 elsewhere): the t survival function is the costly part, and larger
    p cannot matter."""
    p = np.ones_like(t2)
    rows, cols = np.nonzero(t2 > _stats().t.ppf(1.0 - level / 2.0, looks - 1) ** 2)
    p[rows, cols] = 2.0 * _stats().t.sf(np.sqrt(t2[rows, cols]), looks[cols] - 1)
    return p


def _order_statistic(values: np.ndarray, alpha: float) -> float:
    """The smallest v with at most alpha * len(values) of the values strictly below it:
    rejecting when p < v then holds the simulated error at or below alpha."""
    k = math.floor(alpha * len(values))
    return float(np.partition(values, k)[k])


@lru_cache(maxsize=256)
def nominal_level(min_looks: int, max_looks: int, alpha: float = ALPHA) -> float:
    """Pocock's nominal per-look level alpha' for the t statistic (same at every look).

    Under the null with iid Gaussian paired values, P(some look n in min..max has
    |t_n| > t_{1 - alpha'/2, n - 1}) = alpha, found by Monte Carlo with a fixed seed
    (deterministic; about 0.03 s for (3, 10), 0.3 s for (2, 100) on a busy 2-core machine;
    cached). With one look
    it is alpha itself."""
    check_looks(min_looks, max_looks, alpha)
    if min_looks == max_looks:
        return alpha
    looks = np.arange(min_looks, max_looks + 1)
    batches = _null_t_squared(min_looks, max_looks, CALIBRATION_SIMS, CALIBRATION_SEED)
    smallest = [_p_values_below(next(batches), looks, alpha).min(axis=1)]
    # alpha' is far below alpha with many looks; p-values above twice the first batch's
    # estimate cannot matter, and skipping them saves most of the t survival calls. The
    # check below makes the shortcut exact: if alpha' reached the cut, redo it in full.
    cut = min(alpha, 2.0 * _order_statistic(smallest[0], alpha))
    smallest += [_p_values_below(t2, looks, cut).min(axis=1) for t2 in batches]
    level = _order_statistic(np.concatenate(smallest), alpha)
    if level >= cut and cut < alpha:
        return _pocock_in_full(min_looks, max_looks, alpha)
    return level


def _pocock_in_full(min_looks: int, max_looks: int, alpha: float) -> float:
    """nominal_level without the shortcut: every p-value below alpha computed."""
    looks = np.arange(min_looks, max_looks + 1)
    smallest = [
        _p_values_below(t2, looks, alpha).min(axis=1)
        for t2 in _null_t_squared(min_looks, max_looks, CALIBRATION_SIMS, CALIBRATION_SEED)
    ]
    return _order_statistic(np.concatenate(smallest), alpha)


@lru_cache(maxsize=256)
def obrien_fleming_constant(min_looks: int, max_looks: int, alpha: float = ALPHA) -> float:
    """C of the O'Brien-Fleming-like shape: look n rejects when the t statistic's p-value,
    read as a normal z, exceeds C * sqrt(max_looks / n); C calibrated like nominal_level.

    Kept to show why Pocock's shape was chosen (see simulate.py's power table)."""
    check_looks(min_looks, max_looks, alpha)
    looks = np.arange(min_looks, max_looks + 1)
    scale = np.sqrt(looks / max_looks)
    # The last look alone needs C >= z_{1 - alpha/2}, so a look whose scaled z stays
    # below that cannot decide whether a sequence crosses: its p-value is not needed.
    floor = float(_stats().norm.isf(alpha / 2.0))
    worst = []
    for t2 in _null_t_squared(min_looks, max_looks, CALIBRATION_SIMS, CALIBRATION_SEED):
        p = _p_values_below(t2, looks, 2.0 * _stats().norm.sf(floor / scale))
        worst.append((_stats().norm.isf(p / 2.0) * scale).max(axis=1))
    return -_order_statistic(-np.concatenate(worst), alpha)


@lru_cache(maxsize=256)
def look_levels(
    min_looks: int, max_looks: int, alpha: float = ALPHA, shape: str = "pocock"
) -> tuple[float, ...]:
    """The nominal two-sided level alpha_n of each look n = min_looks..max_looks.

    pocock: alpha' at every look (the rule's); obrien-fleming: strict early, loose late;
    bonferroni: alpha / number of looks (valid but wasteful, kept for comparison)."""
    check_looks(min_looks, max_looks, alpha)
    count = max_looks - min_looks + 1
    if shape == "pocock":
        return (nominal_level(min_looks, max_looks, alpha),) * count
    if shape == "bonferroni":
        return (alpha / count,) * count
    if shape == "obrien-fleming":
        c = obrien_fleming_constant(min_looks, max_looks, alpha)
        z = [c * math.sqrt(max_looks / n) for n in range(min_looks, max_looks + 1)]
        return tuple(float(2.0 * _stats().norm.sf(v)) for v in z)
    raise ValueError(f"shape={shape!r}: one of {SHAPES}")


@lru_cache(maxsize=256)
def look_quantiles(
    min_looks: int, max_looks: int, alpha: float = ALPHA, shape: str = "pocock"
) -> tuple[float, ...]:
    """t_{1 - alpha_n / 2, n - 1} for each look n = min_looks..max_looks (cached: the
    decision loop asks for them after every round)."""
    levels = look_levels(min_looks, max_looks, alpha, shape)
    looks = range(min_looks, max_looks + 1)
    return tuple(float(_stats().t.isf(a / 2.0, n - 1)) for a, n in zip(levels, looks, strict=True))


def t_interval(log_ratios: Sequence[float], quantile: float, level: float) -> Interval:
    """mean(d) +- quantile * sd(d) / sqrt(n), exponentiated: the speed-up's interval.

    Plain Python on purpose: it runs after every round, for a handful of values."""
    n = len(log_ratios)
    if n < 2:
        raise ValueError("an interval needs at least 2 paired values")
    if not all(math.isfinite(v) for v in log_ratios):
        raise ValueError("paired log-ratios must be finite")
    mean = math.fsum(log_ratios) / n
    sd = math.sqrt(math.fsum((v - mean) ** 2 for v in log_ratios) / (n - 1))
    half = quantile * sd / math.sqrt(n)
    return Interval(
        math.exp(mean), math.exp(mean - half), math.exp(mean + half), n, quantile, level
    )


def fixed_interval(log_ratios: Sequence[float], alpha: float = ALPHA) -> Interval | None:
    """The plain paired t interval for one look at a number of rounds fixed in advance
    (repeats=N); None with fewer than 2 values."""
    if len(log_ratios) < 2:
        return None
    quantile = float(_stats().t.isf(alpha / 2.0, len(log_ratios) - 1))
    return t_interval(log_ratios, quantile, 1 - alpha)


def seeds_for(
    sd: float,
    *,
    standard_error: Callable[[int], float] | None = None,
    fitted: int = 1,
    resolution: float = RESOLUTION,
    alpha: float = ALPHA,
    most: int = MAX_LOOKS,
) -> int | None:
    """The fewest seeds (pairs) whose fixed-n interval (repeats=N, one look) would reach
    +-`resolution`, if a pair's log-ratio spread as `sd`: the smallest n with
    t_{1 - alpha/2, n - fitted} * se(n) <= log(1 + resolution). For the plain mean
    (`fitted` 1) se(n) = sd / sqrt(n); a fit with more parameters gives its own
    `standard_error(n)` per unit of sd (`crossover.seeds_for`). None when more than
    `most` seeds would be needed. A plan, not a promise: `sd` is itself estimated from
    few pairs."""
    if not 0.0 < resolution < 1.0:
        raise ValueError(f"resolution={resolution!r} must lie in (0, 1)")
    if not math.isfinite(sd) or sd < 0.0:
        raise ValueError(f"sd={sd!r} must be a finite number >= 0")
    target = math.log1p(resolution)
    stats = _stats()
    for n in range(fitted + 1, most + 1):
        se = sd / math.sqrt(n) if standard_error is None else sd * standard_error(n)
        if float(stats.t.isf(alpha / 2.0, n - fitted)) * se <= target:
            return n
    return None


def paired_interval(
    log_ratios: Sequence[float],
    *,
    min_looks: int,
    max_looks: int,
    alpha: float = ALPHA,
    shape: str = "pocock",
) -> Interval | None:
    """The sequential interval at the look with n = len(log_ratios) paired values.

    None when n < min_looks (not a look: no interval may decide there). More than
    max_looks values is a caller's error: the boundary was spent on the planned looks."""
    n = len(log_ratios)
    if n > max_looks:
        raise ValueError(f"{n} paired values, and the looks end at max_looks={max_looks}")
    if n < min_looks:
        return None
    level = look_levels(min_looks, max_looks, alpha, shape)[n - min_looks]
    return t_interval(
        log_ratios, look_quantiles(min_looks, max_looks, alpha, shape)[n - min_looks], 1 - level
    )


def decide(interval: Interval | None, resolution: float = RESOLUTION) -> str | None:
    """FASTER or SLOWER when the interval excludes 1, WITHIN when it lies inside
    [1 - resolution, 1 + resolution], else None (undecided). An interval that is both
    beyond 1 and inside the resolution is reported as beyond the noise (as today)."""
    if not 0.0 < resolution < 1.0:
        raise ValueError(f"resolution={resolution!r} must lie in (0, 1)")
    if interval is None:
        return None
    if interval.low > 1.0:
        return FASTER
    if interval.high < 1.0:
        return SLOWER
    if 1.0 - resolution <= interval.low and interval.high <= 1.0 + resolution:
        return WITHIN
    return None


def run_sequence(
    log_ratios: Sequence[float],
    *,
    min_looks: int,
    max_looks: int,
    alpha: float = ALPHA,
    resolution: float = RESOLUTION,
    shape: str = "pocock",
    halfwidth: float | None = None,
) -> Outcome:
    """The decision loop over paired values in round order: look after each value from
    min_looks on, stop at the first decision or at max_looks; with `halfwidth`, a
    decision goes on narrowing (`settle`). Replaying recorded values gives the same
    outcome, so a resumed sweep and its summary cannot disagree."""
    values = list(log_ratios)[:max_looks]

    def interval_at(n: int) -> Interval | None:
        return paired_interval(
            values[:n], min_looks=min_looks, max_looks=max_looks, alpha=alpha, shape=shape
        )

    looks = range(min_looks, len(values) + 1)
    return settle(interval_at, looks, len(values), resolution, halfwidth)


def half_width(interval: Interval) -> float:
    """Half the interval's width on the log scale (0.0488 is +-5 %: log 1.05)."""
    return (math.log(interval.high) - math.log(interval.low)) / 2.0


def narrow(kept: Interval, later: Interval) -> Interval | None:
    """The intersection of two looks' intervals, at the later look (its n, quantile and
    level); its estimate is the later look's, moved into the intersection where it lies
    outside. None when they do not overlap."""
    low, high = max(kept.low, later.low), min(kept.high, later.high)
    if low > high:
        return None
    estimate = min(max(later.estimate, low), high)
    return Interval(estimate, low, high, later.n, later.quantile, later.level)


def settle(
    interval_at: Callable[[int], Interval | None],
    looks: range,
    count: int,
    resolution: float = RESOLUTION,
    halfwidth: float | None = None,
) -> Outcome:
    """Look at `interval_at(n)` for each n in `looks` (`count` values in all) until a
    decision (`decide`); with `halfwidth`, then on until the intersection of the
    intervals from the decision's look on is at most +-halfwidth wide (half_width <=
    log(1 + halfwidth)), or the looks end.

    Why the intersection: the looks' intervals are a confidence sequence (with chance
    1 - alpha they all hold the truth at once), so their intersection holds it whenever
    they all do, at whatever look a data-dependent rule stops; and it lies inside the
    deciding interval, so the interval reported can never contradict the decision.
    The decision itself is the one taken without a target: narrowing only adds looks
    after it."""
    if halfwidth is not None and not 0.0 < halfwidth < 1.0:
        raise ValueError(f"halfwidth={halfwidth!r} must lie in (0, 1)")
    target = math.inf if halfwidth is None else math.log1p(halfwidth)
    interval: Interval | None = None
    decision, decided_at = None, None
    for n in looks:
        found = interval_at(n)
        if decision is None:
            interval = found or interval
            decision = decide(found, resolution)
            if decision is None:
                continue
            decided_at = n
        elif found is not None:
            kept = narrow(interval, found)
            if kept is None:
                return Outcome(decision, interval, n, decided_at, disjoint=True)
            interval = kept
        if half_width(interval) <= target:
            return Outcome(decision, interval, n, decided_at)
    return Outcome(decision, interval, count, decided_at, narrowing=decision is not None)


def paired_log_ratios(baseline: Mapping[int, float], config: Mapping[int, float]) -> list[float]:
    """d_r = log(baseline time / configuration time) for every round r both timed, in
    round order. A round where either job failed (no positive finite time) is left out:
    one look fewer."""

    def timed(value: float | None) -> bool:
        return isinstance(value, int | float) and math.isfinite(value) and value > 0

    rounds = sorted(r for r in config if r in baseline)
    return [
        math.log(baseline[r] / config[r]) for r in rounds if timed(baseline[r]) and timed(config[r])
    ]


def block_size(rounds: int) -> int:
    """Rounds per block for the batch-means interval: 5 blocks, i.e. R // 5 (at least 1).

    Longer blocks absorb more of the correlation between rounds, fewer blocks widen the t
    quantile (4 degrees of freedom: 2.78 against 1.96). In simulate.py's coverage table 5
    blocks hold 95 % (+-1.5 pp) at 20-80 rounds when the correlation lasts about 2 rounds
    or less (drift, trend, short bursts), and 87-95 % when it lasts about 10 rounds (a
    hog's burst of seconds, a process's own wander): no split of 20-80 rounds can do
    better there, only longer runs or rounds longer in time. 8 blocks (the prototype's)
    lose 2-5 pp more; 4 gain 1-2 pp for intervals 12 % wider."""
    return max(1, rounds // 5)


def chunk_pair(
    baseline: Sequence[float | None],
    config: Sequence[float | None],
    *,
    block: int | None = None,
    alpha: float = ALPHA,
) -> ChunkPair | None:
    """One interleaved pair: per-step chunk times of the baseline and the configuration
    job, index = round. Rounds missing either time are dropped; blocks of `block` rounds
    (default block_size) are formed from the end, so the first rounds left over (the
    nearest to warm-up) are the ones not used. None with no round usable."""
    d = np.array(
        [
            math.log(b / c)
            for b, c in zip(baseline, config, strict=True)
            if b is not None
            and c is not None
            and math.isfinite(b)
            and math.isfinite(c)
            and b > 0
            and c > 0
        ]
    )
    if len(d) == 0:
        return None
    block = block_size(len(d)) if block is None else block
    if block < 1:
        raise ValueError(f"block={block!r} must be at least 1")
    blocks = len(d) // block
    if blocks < 2:
        mean = float(d.mean())
        return ChunkPair(math.exp(mean), None, None, mean, len(d), block, blocks)
    means = d[len(d) - blocks * block :].reshape(blocks, block).mean(axis=1)
    mean = float(means.mean())
    half = float(_stats().t.isf(alpha / 2.0, blocks - 1) * means.std(ddof=1) / math.sqrt(blocks))
    return ChunkPair(
        math.exp(mean),
        math.exp(mean - half),
        math.exp(mean + half),
        mean,
        blocks * block,
        block,
        blocks,
    )
