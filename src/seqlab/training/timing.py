"""All timing of a run: a Keras callback that records every step and epoch, and the figures.

Step times are taken from `on_train_batch_begin` to `on_train_batch_end`. A callback
that implements `on_train_batch_end` makes Keras dispatch batches synchronously and
convert the logs to Python numbers, so each measured step includes its data fetch
and the device work it launched. The first step of a run includes graph tracing
(and XLA compilation when on), so steady-state figures exclude a warm-up: the
whole first epoch when there are several epochs, else the first
`trainer.warmup_steps` steps (at least one: the step that traced). Percentiles come
only from enough steady steps (`MIN_STEADY_STEPS`); with fewer they are null, and
`no_percentiles` says why.

The first step of every later epoch is 1.4-2x slower than the others (measured on
this project's CPU machine, 3 runs of 4 x 40 steps): Keras starts a new input
iterator for each epoch, whose first batch fills tf.data's shuffle buffer inside that
step, and any step after an idle pause (validation, the epoch-end writes) is slower.
It is a real cost of every epoch, so it stays in the epoch times, but it is not a
training step's cost: the steady-state steps leave it out, and
`epoch_first_step_ms` reports it (the median over epochs 2 onwards).

The epoch-end step (`seqlab.training.callbacks`) closes each epoch's timing before it
writes anything, so history, checkpoint and chart writes are never inside a figure.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

import keras
import numpy as np

# Fewer steady-state steps than this give no median or percentiles: with 3 steps (a
# smoke run) one slow step sets the p90 and moves the median.
MIN_STEADY_STEPS = 10

DEFINITIONS = {
    "build_s": "building the Keras model (layers and weights), before compile",
    "first_epoch_s": "wall time of epoch 1 including graph tracing/compilation and validation",
    "first_step_ms": "the first training step: tracing/compilation plus one step",
    "epoch_s": "wall time of every epoch, training and validation",
    "train_epoch_s": "wall time of the training steps of every epoch (no validation)",
    "step_ms_median": "median training step over steady-state steps (null with fewer than "
    f"{MIN_STEADY_STEPS} of them; no_percentiles says why)",
    "step_ms_p90": "90th percentile training step over steady-state steps",
    "step_ms_iqr": "the spread of the steady-state steps: 75th minus 25th percentile",
    "epoch_first_step_ms": "median of the first training step of epochs 2 onwards, left "
    "out of the steady state: a new input iterator (tf.data fills its shuffle buffer) and "
    "the pause after validation; part of every epoch's time",
    "steady_steps": "how many steps the steady-state figures use",
    "warmup": "which steps were excluded from the steady state",
    "samples_per_s": "batch_size / step_ms_median, at steady state (stateful runs: "
    "batch_size whole sequences / the median time of a whole group of chunk batches, the "
    "group's optimizer update included)",
    "fit_s": "model.fit as a whole",
    "fit_window": "wall-clock start and end of this process's model.fit (Unix seconds); the "
    "sweep summary counts from it the jobs that trained on one host at the same time",
    "eval_s": "evaluation on the test split",
    "waited_s": "hydra/launcher=interleaved: the time this job waited for its turns while "
    "the others of its family computed; left out of epoch_s, train_epoch_s and fit_s",
    "precise": "trainer.until_precise: the steady steps after which the step time was "
    "known to the fraction asked for (half_width: the 95 % interval's half-width over the "
    "mean), where training stopped",
    "chunks": "hydra/launcher=interleaved: every chunk of steady steps with its round, its "
    "place in the round, the mean time of its steps after the first (the figure the pairs "
    "use), its first step's time (the switch from the job before), and the cores other "
    "processes took meanwhile; warmup_place: this job's place among the warm-ups (0: "
    "first)",
    "total_s": "the whole run: device set-up, data loading, build, fit, evaluation, writing",
    "resumed": "true when the run continued an interrupted one; epoch_s then lists the "
    "earlier run's epochs first, and first_epoch_s, step and throughput figures come from "
    "the epochs this process ran (its first epoch includes tracing)",
    "measured_by": "'this process', or 'an earlier process' when the run was stopped after "
    "its last epoch's checkpoint and this process only evaluated and saved it: the step, "
    "epoch and throughput figures are then those the earlier process measured",
}

# The figures a checkpoint carries, so that a run stopped after its last checkpoint
# can still report what its training measured.
CARRIED = (
    "first_epoch_s",
    "first_step_ms",
    "step_ms_median",
    "step_ms_p90",
    "step_ms_iqr",
    "epoch_first_step_ms",
    "steady_steps",
    "warmup",
    "no_percentiles",
    "samples_per_s",
)


def percentile_ms(seconds: list[float], q: float) -> float | None:
    return float(np.percentile(seconds, q) * 1000.0) if seconds else None


@dataclass
class Timing:
    """Timing figures of one run; see DEFINITIONS for what each includes."""

    build_s: float | None = None
    first_epoch_s: float | None = None
    first_step_ms: float | None = None
    epoch_s: list[float] = field(default_factory=list)
    train_epoch_s: list[float] = field(default_factory=list)
    step_ms_median: float | None = None
    step_ms_p90: float | None = None
    step_ms_iqr: float | None = None
    epoch_first_step_ms: float | None = None
    steady_steps: int = 0
    warmup: str = ""
    no_percentiles: str | None = None
    samples_per_s: float | None = None
    fit_s: float | None = None
    fit_window: list[float] | None = None
    eval_s: float | None = None
    waited_s: float | None = None
    precise: dict[str, Any] | None = None
    chunks: dict[str, Any] | None = None
    total_s: float | None = None
    resumed: bool = False
    resumed_from_epoch: int | None = None
    measured_by: str = "this process"

    def as_dict(self) -> dict:
        return {**asdict(self), "definitions": DEFINITIONS}

    def carried(self) -> dict[str, Any]:
        """The training figures a checkpoint keeps (see CARRIED)."""
        return {key: getattr(self, key) for key in CARRIED}

    def take_over(self, figures: dict[str, Any]) -> None:
        """Use the training figures an earlier process measured (from its checkpoint)."""
        for key in CARRIED:
            if key in figures:
                setattr(self, key, figures[key])
        self.measured_by = "an earlier process"


class StepTimer(keras.callbacks.Callback):
    """Records the duration of every training step with `time.perf_counter`.

    The epoch-end step calls `close_epoch` first thing, so an epoch's time ends
    before anything is written.
    """

    def __init__(self, warmup_steps: int) -> None:
        super().__init__()
        self.warmup_steps = max(1, warmup_steps)  # the first step always traces
        self.steps: list[list[float]] = []  # seconds, per epoch
        self.epoch_s: list[float] = []
        self.train_epoch_s: list[float] = []
        self._step_start = 0.0
        self._epoch_start = 0.0
        self._last_step_end = 0.0
        self._paused = 0.0  # this epoch's waits for an interleaving launcher's turns

    def on_epoch_begin(self, epoch, logs=None):
        self.steps.append([])
        self._epoch_start = self._last_step_end = time.perf_counter()
        self._paused = 0.0

    def pause(self, seconds: float) -> None:
        """Leave `seconds` (a wait for a turn, `seqlab.training.interleave`) out of the
        running epoch's times; the wait happens between steps, never inside one."""
        self._paused += seconds

    def on_train_batch_begin(self, batch, logs=None):
        self._step_start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self._last_step_end = time.perf_counter()
        self.steps[-1].append(self._last_step_end - self._step_start)

    def close_epoch(self) -> float:
        """End the running epoch's timing; returns its wall time in seconds."""
        now = time.perf_counter()
        self.train_epoch_s.append(self._last_step_end - self._epoch_start - self._paused)
        self.epoch_s.append(now - self._epoch_start - self._paused)
        return self.epoch_s[-1]

    def steady_steps(self) -> tuple[list[float], str]:
        """Steady-state step durations and a description of the excluded warm-up."""
        if len(self.steps) > 1:
            steady = [s for epoch in self.steps[1:] for s in epoch[1:]]
            return steady, "epoch 1 and the first step of every later epoch"
        steps = self.steps[0] if self.steps else []
        return steps[self.warmup_steps :], f"the first {self.warmup_steps} step(s)"

    def steady_groups(self, size: int) -> list[float]:
        """Durations of whole groups of `size` consecutive steady-state steps.

        Each epoch starts a new group; groups that hold a warm-up step or an epoch's
        first step (see the module docstring) are left out.
        """
        epochs = self.steps[1:] if len(self.steps) > 1 else self.steps[:1]
        skip = 1 if len(self.steps) > 1 else self.warmup_steps
        groups = []
        for steps in epochs:
            for start in range(0, len(steps) - size + 1, size):
                if start >= skip:  # no warm-up step inside
                    groups.append(sum(steps[start : start + size]))
        return groups

    def fill(self, timing: Timing, batch_size: float, group: int = 1) -> None:
        """Write the measured figures into `timing`.

        `group` > 1: throughput is `batch_size` samples per group of that many steps
        (a stateful run's chunks of one group of sequences).
        """
        steady, warmup = self.steady_steps()
        timing.epoch_s = [round(s, 4) for s in self.epoch_s]
        timing.train_epoch_s = [round(s, 4) for s in self.train_epoch_s]
        timing.first_epoch_s = self.epoch_s[0] if self.epoch_s else None
        timing.first_step_ms = self.steps[0][0] * 1000.0 if self.steps and self.steps[0] else None
        timing.steady_steps = len(steady)
        firsts = [epoch[0] for epoch in self.steps[1:] if epoch]
        timing.epoch_first_step_ms = percentile_ms(firsts, 50)
        timing.warmup = warmup if steady else f"{warmup}: no steady-state steps were left"
        timing.step_ms_median = timing.step_ms_p90 = timing.step_ms_iqr = None
        timing.samples_per_s = None
        if len(steady) < MIN_STEADY_STEPS:
            timing.no_percentiles = (
                f"only {len(steady)} steady-state step(s), and the step figures need at "
                f"least {MIN_STEADY_STEPS}: run more steps or epochs to measure"
            )
            return
        timing.no_percentiles = None
        timing.step_ms_median = percentile_ms(steady, 50)
        timing.step_ms_p90 = percentile_ms(steady, 90)
        timing.step_ms_iqr = percentile_ms(steady, 75) - percentile_ms(steady, 25)
        if group > 1:
            groups = self.steady_groups(group)
            if groups:
                timing.samples_per_s = batch_size / float(np.median(groups))
        elif timing.step_ms_median:
            timing.samples_per_s = batch_size / (timing.step_ms_median / 1000.0)
