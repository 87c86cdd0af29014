"""Fast checks of seqlab.reports.sequential: scipy as the oracle for t quantiles, the rule's error
rate under the null (with drift) through its own decision loop, power, coverage.

Every simulation has a fixed seed, so each test is deterministic; the bounds carry a
stated Monte Carlo margin (3 standard deviations of the simulated rate), small enough
that the broken rules named in each docstring fail them.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from scipy import stats

from seqlab.reports import sequential as sq

NULL_SIMS = 4000
MARGIN = 3 * math.sqrt(0.05 * 0.95 / NULL_SIMS)  # 1.0 pp: the rule may read up to 6.0 %


def paired(rng, sims, rounds, noise=0.10, drift="none", speedup=1.0) -> np.ndarray:
    """(sims, rounds) paired log-ratios: config and baseline one after the other per round,
    in shuffled order, on a machine that drifts (trend +30 % over the sweep, a random walk
    of 2 % per job, or bursts of 1.3-2x load covering part of a job)."""
    slots = 2 * rounds
    machine = np.zeros((sims, slots))
    if drift == "trend":
        machine += math.log(1.3) * np.arange(slots) / slots
    elif drift == "walk":
        machine += np.cumsum(rng.normal(0, 0.02, (sims, slots)), axis=1)
    elif drift == "bursts":
        hit = rng.random((sims, slots)) < 0.3
        machine += hit * np.log1p(rng.uniform(0.3, 1.0, (sims, slots)) * rng.random((sims, slots)))
    first = rng.random((sims, rounds)) < 0.5
    rows, start = np.arange(sims)[:, None], 2 * np.arange(rounds)
    base = machine[rows, start + first] + rng.normal(0, noise, (sims, rounds))
    config = machine[rows, start + ~first] + rng.normal(0, noise, (sims, rounds))
    return base - config + math.log(speedup)


def decisions(d: np.ndarray, min_looks: int, max_looks: int, **rule) -> list[str | None]:
    return [
        sq.run_sequence(row, min_looks=min_looks, max_looks=max_looks, **rule).decision
        for row in d.tolist()
    ]


def false_rate(min_looks: int, max_looks: int, drift: str, seed: int) -> float:
    d = paired(np.random.default_rng(seed), NULL_SIMS, max_looks, drift=drift)
    found = decisions(d, min_looks, max_looks)
    return sum(f in (sq.FASTER, sq.SLOWER) for f in found) / NULL_SIMS


# ---- quantiles and intervals against scipy ---------------------------------------------


def test_look_quantiles_are_scipys_t_quantiles_at_the_calibrated_level():
    """Broken: degrees of freedom n instead of n - 1, or alpha instead of alpha'/2."""
    level = sq.nominal_level(3, 10)
    expected = [stats.t.ppf(1 - level / 2, n - 1) for n in range(3, 11)]
    assert sq.look_quantiles(3, 10) == pytest.approx(expected, rel=1e-12)
    d = [0.10, 0.02, 0.07, 0.05]
    interval = sq.paired_interval(d, min_looks=3, max_looks=10)
    half = expected[1] * np.std(d, ddof=1) / 2
    assert interval.low == pytest.approx(math.exp(np.mean(d) - half))
    assert interval.high == pytest.approx(math.exp(np.mean(d) + half))
    assert interval.level == pytest.approx(1 - level) and interval.n == 4


def test_the_fixed_interval_is_scipys_one_sample_t_interval():
    d = [0.12, -0.03, 0.08, 0.05, 0.01]
    oracle = stats.ttest_1samp(d, 0.0).confidence_interval(0.95)
    interval = sq.fixed_interval(d)
    assert (interval.low, interval.high) == pytest.approx(
        (math.exp(oracle.low), math.exp(oracle.high))
    )
    assert interval.estimate == pytest.approx(math.exp(np.mean(d)))
    assert sq.fixed_interval([0.1]) is None


def test_the_nominal_level_is_deterministic_and_between_bonferroni_and_alpha():
    sq.nominal_level.cache_clear()
    first = sq.nominal_level(3, 10)
    sq.nominal_level.cache_clear()
    assert sq.nominal_level(3, 10) == first
    assert sq.nominal_level(4, 4) == 0.05  # one look: the plain level
    levels = [sq.nominal_level(3, m) for m in (4, 6, 10, 20)]
    assert levels == sorted(levels, reverse=True)  # more looks, stricter each
    for m, level in zip((4, 6, 10, 20), levels, strict=True):
        assert 0.05 / (m - 2) < level < 0.05


def test_the_calibration_holds_alpha_in_an_independent_simulation():
    """Vectorised, another seed: P(any look's |t| > its quantile) = 0.05 +- 3 sd.
    Broken: a wrong order statistic or the one-sided level moves it by > 1 pp."""
    sims, looks = 100_000, np.arange(3, 11)
    x = np.random.default_rng(99).standard_normal((sims, 10))
    s, q = np.cumsum(x, axis=1)[:, looks - 1], np.cumsum(x * x, axis=1)[:, looks - 1]
    t = np.abs(s / looks) / np.sqrt((q - s * s / looks) / (looks - 1) / looks)
    rate = (t > np.array(sq.look_quantiles(3, 10))).any(axis=1).mean()
    assert abs(rate - 0.05) < 3 * math.sqrt(0.05 * 0.95 / sims), rate


def test_calibration_is_fast_enough_for_decision_time():
    sq.nominal_level.cache_clear()
    start = time.perf_counter()
    sq.nominal_level(2, 100)
    assert time.perf_counter() - start < 1.5  # ~0.3 s on a busy 2-core machine


# ---- the decision rule -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("min_looks", "max_looks", "drift"),
    [(3, 4, "none"), (3, 10, "none"), (2, 10, "trend"), (3, 10, "walk"), (3, 20, "bursts")],
)
def test_under_the_null_the_rule_keeps_its_5_percent(min_looks, max_looks, drift):
    """<= 5 % + 1.0 pp (3 sd at 4000 comparisons). Broken: the plain alpha at every look
    reads 7-8 % at (3, 4) and 14-23 % at 10-20 looks (see the next test)."""
    rate = false_rate(min_looks, max_looks, drift, seed=max_looks * 10 + min_looks)
    assert rate <= 0.05 + MARGIN, rate


def test_the_null_check_catches_the_uncalibrated_rule(monkeypatch):
    """The check above has teeth: with alpha' replaced by alpha it fails."""
    for cached in (sq.look_levels, sq.look_quantiles):
        cached.cache_clear()
    monkeypatch.setattr(sq, "nominal_level", lambda low, high, alpha=0.05: alpha)
    try:
        for looks in ((3, 4), (3, 10)):
            assert false_rate(*looks, "none", seed=looks[1] * 10 + looks[0]) > 0.05 + MARGIN
    finally:
        for cached in (sq.look_levels, sq.look_quantiles):
            cached.cache_clear()


def test_power_is_above_its_floor_and_above_bonferronis():
    """P(faster): 1.10 at 5 % noise, 10 rounds, simulated 0.81; 1.05 with interleaved
    pairs (paired values of sd 0.033: 1 % noise per job and each process's own speed),
    0.91. Broken: a quantile doubled, or Bonferroni's alpha / looks, falls below."""
    rng = np.random.default_rng(5)
    for noise, speedup, floor in ((0.05, 1.10, 0.75), (0.0234, 1.05, 0.85)):
        d = paired(rng, 2000, 10, noise=noise, speedup=speedup)
        pocock = decisions(d, 3, 10).count(sq.FASTER) / 2000
        bonferroni = decisions(d, 3, 10, shape="bonferroni").count(sq.FASTER) / 2000
        assert pocock >= floor and pocock > bonferroni + 0.03, (pocock, bonferroni)


def test_within_resolution_is_rarely_said_of_a_difference_beyond_it():
    """Truth 1.05 (the limit of 'outside 1 +- 5 %'), low noise, 20 looks: simulated 1.2 %."""
    d = paired(np.random.default_rng(6), 3000, 20, noise=0.025, speedup=1.05)
    assert decisions(d, 3, 20).count(sq.WITHIN) / 3000 <= 0.05


def test_the_sequential_intervals_hold_the_truth_at_every_look_at_once():
    """A confidence sequence over the planned looks, for a true speed-up of 1.1."""
    d = paired(np.random.default_rng(7), 3000, 10, speedup=1.1).tolist()
    held = [
        all(
            (i := sq.paired_interval(row[:n], min_looks=3, max_looks=10)).low <= 1.1 <= i.high
            for n in range(3, 11)
        )
        for row in d
    ]
    assert sum(held) / 3000 >= 0.95 - 3 * math.sqrt(0.05 * 0.95 / 3000)


def test_the_fixed_interval_covers_95_percent():
    """Broken: the normal 1.96 instead of t reads 88 % at n = 3."""
    rng = np.random.default_rng(8)
    for n in (3, 5, 10):
        d = paired(rng, 3000, n, speedup=1.1).tolist()
        hits = sum((i := sq.fixed_interval(row)).low <= 1.1 <= i.high for row in d) / 3000
        assert abs(hits - 0.95) <= 3 * math.sqrt(0.05 * 0.95 / 3000), (n, hits)


def test_decisions_and_their_edges():
    def interval(low, high):
        return sq.Interval(math.sqrt(low * high), low, high, 4, 3.0, 0.99)

    assert sq.decide(interval(1.01, 1.30)) == sq.FASTER
    assert sq.decide(interval(0.70, 0.99)) == sq.SLOWER
    assert sq.decide(interval(0.96, 1.04)) == sq.WITHIN
    assert sq.decide(interval(1.01, 1.04)) == sq.FASTER  # both: beyond the noise wins
    assert sq.decide(interval(0.90, 1.04)) is None and sq.decide(None) is None
    with pytest.raises(ValueError):
        sq.decide(interval(0.9, 1.1), resolution=0.0)


def test_looks_missing_rounds_and_misuse():
    assert sq.paired_log_ratios(
        {1: 10.0, 2: 10.0, 3: None, 4: 8.0}, {1: 5.0, 2: 0.0, 3: 5.0, 4: 8.0}
    ) == [
        pytest.approx(math.log(2)),
        0.0,
    ]  # round 2 failed (no time), round 3 the baseline: two values, one look fewer
    assert sq.paired_interval([0.1, 0.2], min_looks=3, max_looks=10) is None
    with pytest.raises(ValueError):
        sq.paired_interval([0.1] * 11, min_looks=3, max_looks=10)
    for looks in ((1, 4), (5, 4), (3, 101)):
        with pytest.raises(ValueError):
            sq.nominal_level(*looks)
    outcome = sq.run_sequence([0.5, 0.52, 0.49, 0.51], min_looks=3, max_looks=10)
    assert outcome.decision == sq.FASTER and outcome.n == 3


# ---- interleaved chunks ------------------------------------------------------------------


def test_chunk_pair_blocks_from_the_end():
    base, config = [2.0] * 3 + [1.0] * 10, [1.0] * 13  # 13 rounds, blocks of 2: drop 1
    pair = sq.chunk_pair(base, config, block=2)
    assert (pair.rounds, pair.blocks, pair.block) == (12, 6, 2)
    assert pair.log_ratio == pytest.approx(2 * math.log(2) / 12)
    assert sq.block_size(40) == 8 and sq.block_size(4) == 1
    single = sq.chunk_pair([1.0, None, 2.0], [1.0, 1.0, None], block=1)
    assert single.rounds == 1 and single.low is None  # one usable round: no interval


def test_chunk_pair_covers_the_pairs_own_ratio_under_drift_and_short_correlation():
    """Interleaved rounds of 40: a trend of 30 % over the run, chunk noise 4 %, and each
    process's own speed wandering (AR(1), ~2 rounds). Broken: blocks of one round read
    about 90 %."""
    rng, sims, rounds = np.random.default_rng(9), 2000, 40
    slots = 2 * rounds
    rho = math.exp(-1 / 4)
    wander = np.zeros((2, sims, slots))
    state = rng.normal(0, 0.015, (2, sims))
    for i in range(slots):
        state = rho * state + math.sqrt(1 - rho**2) * rng.normal(0, 0.015, (2, sims))
        wander[:, :, i] = state
    trend = math.log(1.3) * np.arange(slots) / slots
    first = rng.random((sims, rounds)) < 0.5
    rows, start = np.arange(sims)[:, None], 2 * np.arange(rounds)
    at = (start + first, start + ~first)
    base, config = (
        np.exp(
            (trend + wander[j])[rows, at[j]]
            + rng.normal(0, 0.04, (sims, rounds))
            + math.log(1.2) * (j == 0)
        )
        for j in (0, 1)
    )
    hits = 0
    for b, c in zip(base.tolist(), config.tolist(), strict=True):
        pair = sq.chunk_pair(b, c)
        hits += pair.low <= 1.2 <= pair.high
    assert hits / sims >= 0.95 - 3 * math.sqrt(0.05 * 0.95 / sims), hits / sims


def test_an_alpha_below_what_the_calibration_resolves_is_refused():
    """alpha=1e-5 left no simulation in the tail: a per-look level of 1, an interval of
    zero width, and every comparison 'beyond the noise'."""
    with pytest.raises(ValueError, match="alpha"):
        sq.nominal_level(3, 4, 1e-5)
    assert 0 < sq.nominal_level(3, 4, sq.MIN_ALPHA) < sq.MIN_ALPHA
