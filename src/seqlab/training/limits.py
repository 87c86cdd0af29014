"""When a run stops before its last epoch for a measurement's sake: a time cap, or a
step time known precisely enough.

- `TimeCap` (`trainer.time_cap_s`): past the cap of its own training time (an
  interleaved job's waits for its turns left out), the run stops and fails with
  `TimeCapReached`, which says where. A cap that passes during the first step
  (tracing an unrolled graph of 800 steps can take minutes) is caught by an alarm.
- `PreciseEnough` (`trainer.until_precise`): once the steady steps' mean is known to
  the given fraction (95 % t interval over means of blocks of `BLOCK` steps, which
  absorb most of the correlation between neighbouring steps), training stops at the
  end of that step and the run ends ok, its figures from the steps it ran.
"""

from __future__ import annotations

import math
import signal
import threading
import time
from typing import Any

import keras

from seqlab.errors import SeqlabError

BLOCK = 5
MAX_ALARM_S = 1e7
MIN_STEADY = 20


class TimeCapReached(SeqlabError):
    """A run passed trainer.time_cap_s."""


class TimeCap(keras.callbacks.Callback):
    """Stops a fit that trains longer than `cap_s` (see the module docstring)."""

    def __init__(self, cap_s: float, gate: Any = None, spent_s: float = 0.0) -> None:
        super().__init__()
        self.cap_s = cap_s
        self.gate = gate
        # Training time the epochs before this process spent (a resumed run's cap is the
        # whole run's, not each process's).
        self.spent_s = spent_s
        self._start = 0.0
        self._epoch = 0
        self._armed = False

    def _waited(self) -> float:
        return self.gate.waited_s if self.gate is not None else 0.0

    def _fail(self, where: str) -> None:
        raise TimeCapReached(
            f"The run passed trainer.time_cap_s={self.cap_s:g} s of training {where}, and "
            "stopped there: at this size it costs more than the cap allows (a scaling "
            "sweep's curve ends here). Raise trainer.time_cap_s, or leave this size out."
        )

    def _alarm(self, signum, frame) -> None:
        self._fail("during its first step (tracing and compiling the training step)")

    def on_train_begin(self, logs=None):
        self._start = time.perf_counter()
        self._start_waited = self._waited()
        if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
            self._previous = signal.signal(signal.SIGALRM, self._alarm)
            # The timer takes at most about 2^31 s; a longer cap is no cap for a step.
            left = max(self.cap_s - self.spent_s, 1e-3)
            signal.setitimer(signal.ITIMER_REAL, min(left, MAX_ALARM_S))
            self._armed = True

    def _disarm(self) -> None:
        if self._armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self._previous)
            self._armed = False

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch + 1

    def on_train_batch_end(self, batch, logs=None):
        self._disarm()  # past the first step: the batches check the cap
        spent = time.perf_counter() - self._start - (self._waited() - self._start_waited)
        spent += self.spent_s
        if spent > self.cap_s:
            self._fail(f"at epoch {self._epoch}, step {batch + 1}")

    def on_train_end(self, logs=None):
        self._disarm()


class PreciseEnough(keras.callbacks.Callback):
    """Stops training once the steady step time is known to +- `target` (see above)."""

    def __init__(self, target: float, timer: Any) -> None:
        super().__init__()
        self.target = target
        self.timer = timer
        self.reached: dict[str, Any] | None = None

    def on_train_batch_end(self, batch, logs=None):
        from scipy.stats import t

        steady, _ = self.timer.steady_steps()
        if len(steady) < MIN_STEADY or len(steady) % BLOCK:
            return
        means = [sum(steady[i : i + BLOCK]) / BLOCK for i in range(0, len(steady), BLOCK)]
        mean = sum(means) / len(means)
        sd = math.sqrt(sum((m - mean) ** 2 for m in means) / (len(means) - 1))
        half = float(t.ppf(0.975, len(means) - 1)) * sd / math.sqrt(len(means))
        if mean > 0 and half / mean <= self.target:
            self.model.stop_training = True
            self.reached = {"steady_steps": len(steady), "half_width": half / mean}
