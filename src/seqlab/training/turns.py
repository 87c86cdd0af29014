"""The Keras callback of an interleaved job: a turn before every chunk of steady steps
(`seqlab.training.interleave` says why and how)."""

from __future__ import annotations

import time
from typing import Any

import keras

from seqlab.training.load import others_cores, read_counters


class ChunkTurns(keras.callbacks.Callback):
    """Before every chunk of steady steps, a turn; each chunk's time kept with its round.

    A chunk's first step is timed apart: it pays for the switch from the job that
    computed before (`seqlab.training.interleave`), so the chunk's figure is the mean of
    the steps after it. Placed before the StepTimer among the callbacks, so a step's
    time never includes the wait for its turn."""

    def __init__(self, gate: Any, timer: Any, epochs: int) -> None:
        super().__init__()
        self.gate = gate
        self.timer = timer
        self.epochs = epochs
        self.warmup_steps = getattr(timer, "warmup_steps", 1)
        # [round, mean step s after the first, others' cores, steps, first step s, place]
        self.rounds: list[list[Any]] = []
        self.waited = 0.0  # seconds spent waiting for turns during the fit
        self._epochs_begun = 0  # in this process (a resumed fit starts past epoch 1)
        self._steps_in_epoch = 0
        self._chunk: dict[str, Any] | None = None
        self._step_start = 0.0

    def _warm(self) -> bool:
        """Whether the warm-up (the first turn's share) is over."""
        if self.epochs > 1:
            return self._epochs_begun >= 2
        return self._steps_in_epoch >= self.warmup_steps

    def on_epoch_begin(self, epoch, logs=None):
        self._close()  # a chunk never spans an epoch's end
        self._epochs_begun += 1
        self._steps_in_epoch = 0

    def on_train_batch_begin(self, batch, logs=None):
        if self._warm() and (self._chunk is None or self._chunk["steps"] >= self.gate.chunk_steps):
            self._close()
            waited = self.gate.waited_s
            number, place = self.gate.turn()
            self.waited += self.gate.waited_s - waited  # only the waits inside the fit
            self.timer.pause(self.gate.waited_s - waited)
            self._chunk = {"round": number, "place": place, "times": [], "steps": 0,
                           "first": None, "load": read_counters()}  # fmt: skip
        self._step_start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        seconds = time.perf_counter() - self._step_start
        chunk = self._chunk
        if chunk is not None:
            chunk["steps"] += 1
            if self._steps_in_epoch == 0:
                pass  # an epoch's first step is no steady step
            elif chunk["steps"] == 1:
                chunk["first"] = seconds  # the switch's step
            else:
                chunk["times"].append(seconds)
        self._steps_in_epoch += 1

    def on_train_end(self, logs=None):
        self._close()

    def _close(self) -> None:
        chunk, self._chunk = self._chunk, None
        if chunk is None or not chunk["times"]:
            return
        load = others_cores(chunk["load"], read_counters()) if chunk["load"] else None
        mean = sum(chunk["times"]) / len(chunk["times"])
        others = None if load is None else round(load, 3)
        self.rounds.append(
            [chunk["round"], mean, others, len(chunk["times"]), chunk["first"], chunk["place"]]
        )

    def as_dict(self) -> dict[str, Any]:
        """What results.json records under `timing.chunks`."""
        return {
            "family": self.gate.family,
            "chunk_steps": self.gate.chunk_steps,
            "warmup_place": self.gate.warmup_place,  # 0: this job warmed up first
            "rounds": [
                [int(r), float(s), o, int(n), None if f is None else float(f), int(p)]
                for r, s, o, n, f, p in self.rounds
            ],
            "fields": [
                "round",
                "seconds per steady step after the chunk's first",
                "others' cores",
                "steps timed",
                "seconds of the chunk's first step (the switch's)",
                "place in the round",
            ],
        }
