"""What the timing figures include: warm-up, the first step of every epoch, enough steps."""

from __future__ import annotations

import pytest

from seqlab.training.timing import MIN_STEADY_STEPS, StepTimer, Timing


def _filled(steps: list[list[float]], warmup: int = 1) -> Timing:
    timer = StepTimer(warmup_steps=warmup)
    timer.steps = steps
    timer.epoch_s = timer.train_epoch_s = [1.0] * len(steps)
    timing = Timing()
    timer.fill(timing, 32)
    return timing


def test_the_slow_first_step_of_every_later_epoch_is_reported_apart():
    # Epoch 1 traces; each later epoch starts with a new input iterator (a slow step).
    timing = _filled([[9.0] * 5, [0.5] + [0.010] * 12, [0.7] + [0.010] * 12])
    assert timing.step_ms_median == pytest.approx(10.0)
    assert timing.step_ms_p90 == pytest.approx(10.0)  # the slow steps would set it
    assert timing.epoch_first_step_ms == pytest.approx(600.0)
    assert timing.steady_steps == 24 and timing.samples_per_s == pytest.approx(3200.0)


def test_fewer_steady_steps_than_the_minimum_give_no_percentiles():
    timing = _filled([[9.0] * 3, [0.01] * (MIN_STEADY_STEPS)])  # one is an epoch's first
    assert timing.steady_steps == MIN_STEADY_STEPS - 1
    assert timing.step_ms_median is None and timing.samples_per_s is None
    assert f"at least {MIN_STEADY_STEPS}" in timing.no_percentiles


def test_a_single_epoch_excludes_at_least_the_tracing_step():
    timing = _filled([[9.0] + [0.01] * 12], warmup=0)  # 0 would count the tracing step
    assert timing.warmup == "the first 1 step(s)" and timing.steady_steps == 12
    assert timing.step_ms_p90 == pytest.approx(10.0)


def test_figures_measured_by_an_earlier_process_are_labelled():
    earlier = _filled([[9.0] * 5, [0.5] + [0.010] * 12])
    timing = Timing()
    timing.take_over(earlier.carried())
    assert timing.step_ms_median == earlier.step_ms_median
    assert timing.measured_by == "an earlier process"
