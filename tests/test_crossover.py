"""Fast checks of seqlab.reports.crossover: the speed-up adjusted for which job of an
interleaved pair warmed up first. scipy's linregress is the oracle for the fit; the
sequential rule's error rate is simulated through its own decision loop, with the
warm-up effect measured here (beta up to 0.17 in log) and drift, at every round cap.

Seeds are fixed; bounds carry a Monte Carlo margin of 3 standard deviations.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from seqlab.reports import crossover as co
from seqlab.reports import sequential as sq

from .test_sequential import paired

SIMS = 4000
MARGIN = 3 * math.sqrt(0.05 * 0.95 / SIMS)


def alternating(rng, sims: int, rounds: int) -> np.ndarray:
    """(sims, rounds) of +1/-1 alternating from seed to seed, starting either way, as
    the interleaving launcher orders the warm-ups."""
    start = np.where(rng.random(sims) < 0.5, 1, -1)[:, None]
    return start * np.where(np.arange(rounds) % 2 == 0, 1, -1)[None, :]


def with_warmup(rng, sims, rounds, beta, **given) -> tuple[np.ndarray, np.ndarray]:
    orders = alternating(rng, sims, rounds)
    return paired(rng, sims, rounds, **given) + beta * orders, orders


def test_the_fit_is_scipys_regression_intercept_with_its_standard_error():
    rng = np.random.default_rng(1)
    for n in (3, 4, 7, 10):
        d = rng.normal(0.05, 0.1, n)
        s = [1, -1, -1, 1, 1, 1, -1, 1, -1, -1][:n]
        mu, se, df = co.fit(d.tolist(), s)
        expected = stats.linregress(s, d)
        assert mu == pytest.approx(expected.intercept, rel=1e-9, abs=1e-12)
        assert se == pytest.approx(expected.intercept_stderr, rel=1e-9)
        assert df == n - 2


def test_no_fit_without_both_orders_or_a_degree_of_freedom():
    assert co.fit([0.1, 0.2], [1, -1]) is None  # n = 2: nothing left for the spread
    assert co.fit([0.1, 0.2, 0.3], [1, 1, 1]) is None  # beta cannot be told from mu
    assert co.fit([0.1, 0.2, 0.3], [1, -1, None]) is None
    assert co.fixed_interval([0.1, 0.2, 0.3], [1, 1, 1]) is None
    with pytest.raises(ValueError):
        co.fit([0.1, 0.2, 0.3], [1, -1])
    with pytest.raises(ValueError):
        co.fit([0.1, math.inf, 0.3], [1, -1, 1])


def test_the_warm_up_effect_leaves_the_estimate_and_narrows_the_interval():
    """beta = 0.15 (a 16 % slow-down of whichever warmed up first), 3 % noise: the
    adjusted interval is centred on the truth and several times narrower than the plain
    one. Broken: an estimate of the plain mean at odd n (biased by beta / n), or an
    interval that keeps beta in its spread."""
    rng = np.random.default_rng(2)
    d, s = with_warmup(rng, 1, 5, 0.15, noise=0.02, speedup=1.1)
    adjusted = co.fixed_interval(d[0].tolist(), s[0].tolist())
    plain = sq.fixed_interval(d[0].tolist())
    assert adjusted.low <= 1.1 <= adjusted.high
    assert math.log(adjusted.high / adjusted.low) < math.log(plain.high / plain.low) / 3


@pytest.mark.parametrize("n", [3, 4, 6, 10])
def test_the_fixed_crossover_interval_covers_95_percent(n):
    """With the warm-up effect in the data. Broken: n - 1 degrees of freedom reads
    89 % at n = 3 and 92 % at n = 4."""
    rng = np.random.default_rng(10 + n)
    d, s = with_warmup(rng, 3000, n, 0.15, speedup=1.1)
    hits = sum(
        (i := co.fixed_interval(row, orders)).low <= 1.1 <= i.high
        for row, orders in zip(d.tolist(), s.tolist(), strict=True)
    )
    assert abs(hits / 3000 - 0.95) <= 3 * math.sqrt(0.05 * 0.95 / 3000), hits / 3000


def false_rate(max_looks: int, drift: str, beta: float, seed: int) -> float:
    d, s = with_warmup(np.random.default_rng(seed), SIMS, max_looks, beta, drift=drift)
    found = [
        co.run_sequence(row, orders, min_looks=3, max_looks=max_looks).decision
        for row, orders in zip(d.tolist(), s.tolist(), strict=True)
    ]
    return sum(f in (sq.FASTER, sq.SLOWER) for f in found) / SIMS


@pytest.mark.parametrize("max_looks", [4, 6, 10])
@pytest.mark.parametrize(("drift", "beta"), [("none", 0.0), ("walk", 0.15), ("bursts", 0.05)])
def test_the_sequential_rule_keeps_its_5_percent_at_every_cap(max_looks, drift, beta):
    """Looked at after every round from round 4. Broken: the plain rule's level (not
    recalibrated for n - 2 degrees of freedom) reads 6-9 %."""
    rate = false_rate(max_looks, drift, beta, seed=max_looks)
    assert rate <= 0.05 + MARGIN, rate


def test_the_calibration_is_not_wasteful():
    """Broken in the other direction: a level far below what the 5 % allows (e.g.
    Bonferroni's alpha / looks) would show as an error rate well under 5 %."""
    rate = false_rate(10, "none", 0.0, seed=99)
    assert rate >= 0.05 - MARGIN, rate
    assert co.nominal_level(3, 10) > 0.05 / 7  # looks 4-10


def test_the_sequential_intervals_hold_the_truth_at_every_look_at_once():
    rng = np.random.default_rng(3)
    d, s = with_warmup(rng, 2000, 8, 0.1, speedup=1.1)
    held = [
        all(
            (i := co.paired_interval(row[:n], orders[:n], min_looks=3, max_looks=8)).low
            <= 1.1
            <= i.high
            for n in co.looks(3, 8)
        )
        for row, orders in zip(d.tolist(), s.tolist(), strict=True)
    ]
    assert sum(held) / 2000 >= 0.95 - 3 * math.sqrt(0.05 * 0.95 / 2000)


def test_looks_start_at_round_4_and_the_plan_is_checked():
    assert list(co.looks(2, 6)) == [4, 5, 6] and list(co.looks(5, 6)) == [5, 6]
    assert len(co.looks(2, 3)) == 0
    assert co.nominal_level(3, 4) == 0.05  # one look: the plain level
    assert co.paired_interval([0.1, 0.2, 0.3], [1, -1, 1], min_looks=2, max_looks=5) is None
    with pytest.raises(ValueError):
        co.nominal_level(2, 3)
    with pytest.raises(ValueError):
        co.paired_interval([0.1] * 6, [1, -1] * 3, min_looks=3, max_looks=5)
    # A decision is replayed alike from the same values and orders.
    values, orders = [0.30, 0.10, 0.31, 0.12, 0.29], [1, -1, 1, -1, 1]
    first = co.run_sequence(values, orders, min_looks=3, max_looks=10)
    assert first == co.run_sequence(values, orders, min_looks=3, max_looks=10)
    assert first.decision == sq.FASTER


# ---- in the summary: records of interleaved pairs ----------------------------------------


def _interleaved_sweep(tmp_path, places, warm=0.15, truth=1.25):
    """Seeds 1..len(places) of lstm (baseline) and gru, each pair one family whose chunk
    times carry the warm-up effect: the job that warmed up first runs exp(warm) slower.
    `places[r]` is the baseline's warm-up place for seed r + 1 (None: not recorded)."""
    import json

    from .records import seqlab_record

    sweep = tmp_path / "sweep"
    rng = np.random.default_rng(4)
    number = 0
    for seed, base_place in enumerate(places, start=1):
        for model in ("lstm", "gru"):
            base = model == "lstm"
            place = base_place if base else (None if base_place is None else 1 - base_place)
            ms = 100.0 if base else 100.0 / truth
            slow = math.exp(warm) if place == 0 else 1.0
            chunks = [
                [r, ms * slow / 1000 * math.exp(rng.normal(0, 0.01)), 0.0, 3, None, 0]
                for r in range(1, 11)
            ]
            timing = {"step_ms_median": ms * slow, "chunks": {"family": f"f{seed}",
                      "chunk_steps": 4, "rounds": chunks}}  # fmt: skip
            if place is not None:
                timing["chunks"]["warmup_place"] = place
            record = {"status": "ok", "overrides": [f"model={model}", f"trainer.seed={seed}"],
                      "metrics": {"metric": "accuracy", "val_accuracy": 0.5}, "timing": timing,
                      "cudnn": {"eligible": False, "kernel": "generic"}}  # fmt: skip
            folder = sweep / str(number)
            folder.mkdir(parents=True)
            (folder / "results.json").write_text(json.dumps(seqlab_record(record)))
            number += 1
    return sweep


def _gru(sweep):
    from seqlab.reports.compare import derive
    from seqlab.reports.rows import collect
    from seqlab.reports.speedup import add_group_speedups
    from seqlab.reports.stats import group_rows

    rows = collect([sweep])
    derive(rows, "model=lstm")
    groups = group_rows(rows)
    add_group_speedups(groups, "model=lstm")
    return next(g for g in groups if g["overrides"]["model"] == "gru"), rows


def test_the_summary_adjusts_interleaved_pairs_for_their_warm_up_order(tmp_path):
    gru, rows = _gru(_interleaved_sweep(tmp_path, [0, 1, 0, 1, 0]))
    pairs = sorted((r for r in rows if r["overrides"]["model"] == "gru"),
                   key=lambda r: r["overrides"]["trainer.seed"])  # fmt: skip
    assert [r["paired_order"] for r in pairs] == [1, -1, 1, -1, 1]
    oracle = stats.linregress([1, -1, 1, -1, 1], [r["paired_d"] for r in pairs])
    assert gru["speedup"] == pytest.approx(math.exp(oracle.intercept))
    assert gru["speedup"] == pytest.approx(1.25, rel=0.02)  # the plain mean reads 1.28
    half = stats.t.isf(0.025, 3) * oracle.intercept_stderr
    assert gru["speedup_high"] == pytest.approx(math.exp(oracle.intercept + half))
    assert gru["beyond_noise"] is True and gru["speedup_n"] == 5
    assert "warmed up first" in gru["speedup_method"] and "3 degrees" in gru["speedup_method"]
    from seqlab.reports.page import headline

    (said,) = headline([gru], ["model"], "model=lstm", grouped=True)
    assert said.endswith("5 seeds (adjusted for which job warmed up first).")


def test_pairs_without_their_warm_up_order_keep_the_plain_interval(tmp_path):
    gru, _ = _gru(_interleaved_sweep(tmp_path, [0, 1, None, 1]))
    assert "warmed up first" not in gru["speedup_method"] and gru["crossover"] is False
    assert "paired over 4 seeds" in gru["speedup_method"]
    one_way, _ = _gru(_interleaved_sweep(tmp_path / "b", [0, 0, 0]))  # both orders needed
    assert "warmed up first" not in one_way["speedup_method"]
