"""How cost grows: power laws on log-log axes, bends, crossovers and the break-even."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest
from scipy import stats

from seqlab.reports.growth import break_even, crossover, fit

from .records import seqlab_record


def test_the_exponent_and_its_interval_are_scipys_regression_on_logs():
    rng = np.random.default_rng(3)
    sizes = [25, 50, 100, 200, 400, 800]
    values = [2.0 * s**1.3 * math.exp(rng.normal(0, 0.05)) for s in sizes]
    found = fit(list(zip(sizes, values, strict=True)))
    oracle = stats.linregress(np.log(sizes), np.log(values))
    half = stats.t.ppf(0.975, len(sizes) - 2) * oracle.stderr
    assert found.exponent == pytest.approx(oracle.slope)
    assert (found.low, found.high) == pytest.approx((oracle.slope - half, oracle.slope + half))
    assert found.low < 1.3 < found.high and not found.bends
    assert fit([(25, 1.0), (50, 2.0)]) is None  # two sizes: no line to trust


def test_points_that_bend_are_said_to_fit_no_single_power_law():
    """Flat while the overhead per step dominates, then linear: the classic RNN shape."""
    sizes = [25, 50, 100, 200, 400, 800]
    bent = fit([(s, 20.0 + 0.1 * s**1.0 if s < 150 else 0.02 * s**1.6) for s in sizes])
    assert bent.bends and bent.slopes[1] - bent.slopes[0] > 0.25
    rng = np.random.default_rng(0)
    false = 0
    for _ in range(300):  # straight power laws with 5 % noise are rarely called bent
        noisy = [(s, s**1.1 * math.exp(rng.normal(0, 0.05))) for s in sizes]
        false += fit(noisy).bends
    assert false / 300 < 0.05


def test_two_lines_cross_where_their_fits_meet_with_an_interval():
    sizes = [25, 50, 100, 200, 400]
    rng = np.random.default_rng(1)
    # a = 100 * (s/100)^0.5, b = 100 * (s/100)^1.0: equal at 100.
    a = fit([(s, 100 * (s / 100) ** 0.5 * math.exp(rng.normal(0, 0.03))) for s in sizes])
    b = fit([(s, 100 * (s / 100) ** 1.0 * math.exp(rng.normal(0, 0.03))) for s in sizes])
    at, low, high = crossover(a, b)
    assert low < 100 < high and 80 < at < 125
    parallel = fit([(s, 2.0 * s) for s in sizes])
    assert crossover(parallel, parallel) == (None, None, None)


def test_the_break_even_of_a_longer_warm_up_in_steps():
    """The issue's numbers at 160 steps: manual 51.1 ms a step and a 16.7 s first epoch,
    the cell loop 68.6 ms and 3.5 s, 30 steps an epoch."""
    manual = {"step_ms_median": 51.1, "first_epoch_s": 16.7, "steps_per_epoch": 30, "epochs": 2}
    loop = {"step_ms_median": 68.6, "first_epoch_s": 3.5, "steps_per_epoch": 30, "epochs": 2}
    said = break_even(manual, loop, "manual", "cell_loop")
    # Warm-ups beyond the steps: 16.7 - 30 * 0.0511 and 3.5 - 30 * 0.0686.
    expected = ((16.7 - 1.533) - (3.5 - 2.058)) / ((68.6 - 51.1) / 1000)
    assert said["value"] == pytest.approx(expected) and said["first"] == "cell_loop"
    assert "pays that back after 784 steps" in said["said"]
    paired = break_even(manual, loop, "manual", "cell_loop", against="a")
    assert paired["value"] == said["value"] and "not compared" not in paired["said"]
    long = {**manual, "epochs": 100}
    assert break_even(long, {**loop, "epochs": 100}, "manual", "cell_loop")["first"] == "manual"


def _job(sweep, number, overrides, step, first, memory, status="ok", error=None):
    folder = sweep / str(number)
    folder.mkdir(parents=True)
    record = {"status": status, "overrides": overrides, "error": error,
              "metrics": {"metric": "accuracy", "val_accuracy": 0.5},
              "timing": {"step_ms_median": step, "first_epoch_s": first},
              "memory": {"peak_rss_mb": memory},
              "settings": {"epochs": 2, "steps_per_epoch": 30}}  # fmt: skip
    (folder / "results.json").write_text(json.dumps(seqlab_record(record)))


def test_a_sweep_over_a_numeric_key_writes_its_growth_and_crossovers(tmp_path):
    from seqlab.reports.summary import write_summary

    sweep, number = tmp_path / "s", 0
    for length in (25, 50, 100, 200):
        # manual is faster below length 50, slower above: 0.875 L = 0.4 L^1.2 at L = 50.
        for impl, (a, b) in {"cell_loop": (0.4 * 50**0.2, 1.0), "manual": (0.4, 1.2)}.items():
            if impl == "manual" and length == 200:
                _job(sweep, number, [f"dataset.length={length}", f"impl={impl}"], None, None,
                     None, "failed", "Out of memory at dataset.length=200. Lower it.")  # fmt: skip
            else:
                step = a * length**b
                _job(sweep, number, [f"dataset.length={length}", f"impl={impl}"], step,
                     0.5 + length * (0.1 if impl == "manual" else 0.01), 300 + length)  # fmt: skip
            number += 1
    write_summary([sweep], sweep, baseline="impl=cell_loop", chart=False)
    with open(sweep / "growth.csv") as f:
        rows = {(r["configuration"], r["figure"]): r for r in csv.DictReader(f)}
    loop = rows[("cell_loop", "step_ms_median")]
    assert float(loop["exponent"]) == pytest.approx(1.0) and loop["fit"] == "power law"
    manual = rows[("manual", "step_ms_median")]
    assert float(manual["exponent"]) == pytest.approx(1.2) and manual["points"] == "3"
    assert manual["ended"] == "at dataset.length=200: Out of memory at dataset.length=200"
    with open(sweep / "crossovers.csv") as f:
        crossed = list(csv.DictReader(f))
    (cross,) = [r for r in crossed if r["what"] == "crossover of step time"]
    assert float(cross["value"]) == pytest.approx(50.0, rel=1e-3)
    assert "step times cross at dataset.length = 50" in cross["said"]
    assert any(r["what"] == "break-even of the warm-up" for r in crossed)
    page = (sweep / "summary.html").read_text()
    assert "How cost grows with dataset.length" in page and '"type":"log"' in page


def test_nearly_parallel_curves_and_odd_sizes_are_no_crossing_and_no_size():
    from seqlab.reports.growth import number

    sizes = [10, 20, 40, 80]
    a = fit([(s, s**1.0) for s in sizes])
    b = fit([(s, 2 * s ** (1.0 + 1e-10)) for s in sizes])
    assert crossover(a, b) == (None, None, None)  # it overflowed the summary before
    assert [number(v) for v in ("8", "2.5e1", "\u0668", "1_0", "0", "-3", "inf", "x")] == [
        8.0,
        25.0,
        None,
        None,
        None,
        None,
        None,
        None,
    ]


def test_only_a_configuration_against_its_baseline_is_judged_by_its_interval():
    """layer and manual (neither the baseline) were said to take 'the same time within
    the noise' at 20 vs 100 ms, from their intervals against the cell loop."""
    layer = {"step_ms_median": 20.0, "first_epoch_s": 5.0, "steps_per_epoch": 30, "epochs": 2,
             "speedup": 1.01, "speedup_low": 0.9, "speedup_high": 1.1}  # fmt: skip
    manual = {**layer, "step_ms_median": 100.0, "first_epoch_s": 2.0}
    unpaired = break_even(layer, manual, "layer", "manual")
    assert unpaired["value"] > 0 and "not compared with each other" in unpaired["said"]
    said = break_even(layer, manual, "layer", "manual", against="a")
    assert said["value"] is None and "within the noise" in said["said"]
