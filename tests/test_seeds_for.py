"""How many seeds +-5 % takes: the projection must match the interval a sweep of that
many seeds would report, with scipy's t interval and linear regression as the oracles."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from seqlab.reports import crossover, sequential
from seqlab.reports.page import headline
from seqlab.reports.speedup import seeds_for_5pct

TARGET = math.log1p(0.05)


def _plain_sample(n: int, sd: float, seed: int = 0) -> np.ndarray:
    """n log-ratios whose sample standard deviation is exactly `sd`."""
    z = np.random.default_rng(seed).normal(size=n)
    return 0.1 + (z - z.mean()) / z.std(ddof=1) * sd


def _crossover_sample(n: int, sd: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n log-ratios with orders alternating +1, -1 (as seeds alternate the warm-up), a
    warm-up effect of 0.08, and a residual standard deviation (n - 2 degrees of freedom)
    of exactly `sd`."""
    orders = np.array([1 if i % 2 == 0 else -1 for i in range(n)])
    z = np.random.default_rng(seed).normal(size=n)
    for s in (1, -1):
        z[orders == s] -= z[orders == s].mean()
    z *= sd / math.sqrt(float(z @ z) / (n - 2))
    return 0.1 + 0.08 * orders + z, orders


def _plain_half(values: np.ndarray) -> float:
    interval = scipy_stats.ttest_1samp(values, 0.0).confidence_interval(0.95)
    return (interval.high - interval.low) / 2


def _crossover_half(values: np.ndarray, orders: np.ndarray) -> float:
    fit = scipy_stats.linregress(orders, values)
    return float(scipy_stats.t.isf(0.025, len(values) - 2)) * fit.intercept_stderr


@pytest.mark.parametrize("sd", [0.004, 0.015, 0.03, 0.047, 0.07, 0.13])
def test_the_plain_projection_is_the_fewest_seeds_whose_t_interval_is_within_5_percent(sd):
    n = sequential.seeds_for(sd)
    assert n is not None
    assert _plain_half(_plain_sample(n, sd)) <= TARGET + 1e-12
    if n > 2:  # one seed fewer would not do
        assert _plain_half(_plain_sample(n - 1, sd)) > TARGET


@pytest.mark.parametrize("sd", [0.004, 0.015, 0.03, 0.047, 0.07, 0.13])
def test_the_crossover_projection_is_the_fewest_seeds_whose_fit_is_within_5_percent(sd):
    n = crossover.seeds_for(sd)
    assert n is not None
    assert _crossover_half(*_crossover_sample(n, sd)) <= TARGET + 1e-12
    if n > 3:
        assert _crossover_half(*_crossover_sample(n - 1, sd)) > TARGET
    # The fitted warm-up effect costs seeds: never fewer than the plain mean needs.
    assert n >= sequential.seeds_for(sd)


def test_past_the_cap_there_is_no_number_and_bad_spreads_are_refused():
    assert sequential.seeds_for(0.5) is None  # about 400 seeds: past the sweeper's 100
    # Far out, t is the normal quantile: n = (1.96 sd / log 1.05)^2, 404, give or take t's 2.
    normal = (scipy_stats.norm.isf(0.025) * 0.5 / TARGET) ** 2
    assert 0 <= sequential.seeds_for(0.5, most=1000) - normal < 4
    for bad in (math.nan, -0.1, math.inf):
        with pytest.raises(ValueError, match="sd="):
            sequential.seeds_for(bad)


def test_a_group_is_projected_from_the_spread_of_its_own_pairs():
    values = list(_plain_sample(4, 0.047, seed=3))
    assert seeds_for_5pct(values, [None] * 4, False) == sequential.seeds_for(0.047)
    crossed, orders = _crossover_sample(6, 0.03, seed=4)
    # The crossover reads the rest after the warm-up effect, not the raw spread (which the
    # +-0.08 warm-up effect inflates to about 0.09 here).
    raw = float(np.std(crossed, ddof=1))
    assert raw > 0.08
    found = seeds_for_5pct(list(crossed), list(orders), True)
    assert found == crossover.seeds_for(0.03) < sequential.seeds_for(raw)
    assert seeds_for_5pct([0.1], [None], False) is None  # one pair: no spread to read


@pytest.mark.parametrize("n", [4, 5, 7])
def test_the_crossover_spread_is_the_rest_after_the_fit_also_with_unequal_orders(n):
    values, orders = _crossover_sample(n, 0.03, seed=n)  # odd n: one order has a pair more
    assert crossover.spread(list(values), list(orders)) == pytest.approx(0.03)


def _row(model, speedup, low, high, beyond, seeds):
    return {"overrides": {"model": model}, "job": "0", "step_ms_median": 10.0, "speedup": speedup,
            "speedup_low": low, "speedup_high": high, "beyond_noise": beyond, "speedup_n": 4,
            "seeds_for_5pct": seeds, "metric": "accuracy", "val_metric": 0.5}  # fmt: skip


def test_the_page_says_the_seeds_only_where_an_undecided_interval_is_wider_than_5_percent():
    rows = [
        _row("lstm", 1.0, None, None, None, None),
        _row("gru", 1.02, 0.95, 1.09, False, 9),  # undecided, +-7 %: say it
        _row("simple_rnn", 1.01, 0.98, 1.04, False, 3),  # within 5 % already: nothing to add
        _row("indrnn", 1.3, 1.2, 1.4, True, 7),  # decided: the question is answered
    ]
    said = headline(rows, ["model"], "model=lstm", grouped=True)
    assert said[0].endswith(
        "within the noise, 4 seeds; +-5 % would take about 9 seeds (a new sweep, repeats=9) "
        "at this spread."
    )
    assert "would take" not in said[1] and "would take" not in said[2]


def test_the_notes_under_the_table_name_each_undecided_comparison_with_its_seeds(tmp_path):
    """simple_rnn against lstm is noisy and undecided; gru is 2x every seed (decided)."""
    import csv

    from seqlab.reports.summary import write_summary

    from .test_summary import write_job

    times = {"lstm": [100, 102, 98, 101], "gru": [50, 51, 49, 50.5]}
    times["simple_rnn"] = [90, 115, 95, 105]
    job = 0
    for model, steps in times.items():
        for seed, ms in enumerate(steps, 1):
            write_job(tmp_path / "sweep", job, [f"model={model}", f"trainer.seed={seed}"], ms)
            job += 1
    _, _, _, said = write_summary([tmp_path / "sweep"], tmp_path / "out", baseline="model=lstm",
                                  chart=False)  # fmt: skip
    with open(tmp_path / "out" / "summary.csv") as f:
        rows = {row["model"]: row for row in csv.DictReader(f)}
    seeds = int(rows["simple_rnn"]["seeds_for_5pct"])
    assert seeds > 4 and rows["gru"]["seeds_for_5pct"] == "2"
    (note,) = [line for line in said if line.startswith("seeds:")]
    assert f"about {seeds} seeds for simple_rnn (" in note and "gru" not in note
    assert note in (tmp_path / "out" / "summary.md").read_text()
    # Nothing to say when every comparison is decided: gru alone against lstm.
    for job in range(8, 12):
        (tmp_path / "sweep" / str(job) / "results.json").unlink()
        (tmp_path / "sweep" / str(job)).rmdir()
    _, _, _, said = write_summary([tmp_path / "sweep"], tmp_path / "two", baseline="model=lstm",
                                  chart=False)  # fmt: skip
    assert not [line for line in said if line.startswith("seeds:")]
