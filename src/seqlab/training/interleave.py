"""A job's side of `hydra/launcher=interleaved`: it computes only in its turns.

(This module is free of Keras; the callback that takes the chunks' turns is
`seqlab.training.turns`.)

The interleaving launcher (`seqlab.sweeps.interleave`) starts every job of a comparison
(a configuration with its baseline) at once, each in its own process, and lets one
compute at a time. A job asks for a turn and waits (`Gate.turn`): its first turn holds
everything up to the end of its warm-up (the backend's start, data, build, tracing: the
first epoch this process runs, or its first `warmup_steps` steps when it runs one);
after that, every turn is one chunk of `chunk_steps` training steps (never across an
epoch's end; an epoch's end work, validation and writes, runs in the turn of the chunk
that ended it). The launcher grants the turns in rounds, in a fresh random order each
round, so the chunks of one round are next to each other in time: their ratio cancels
whatever the machine did over the minutes of the sweep.

Each chunk is recorded with its round and its place in the round: the mean time of its
steps after the first, the first step's own time, and what other processes took of the
cores meanwhile (`seqlab.training.load`). A chunk's first step pays for the switch
from the job that computed before it: measured here, 5-12 ms on a 70-90 ms LSTM step
(10-50 ms on a busier day), none when the job had the turn before too. So the paired
ratio uses the steps after the first only. (An epoch's first step, slower for reasons
of its own, is left out as in every step figure.) The time a job waits for its turns
is taken out of its epoch times (`StepTimer.pause`).

Training is exactly what it would be alone: the turns only make it wait.
"""

from __future__ import annotations

import os
import time
from typing import Any

ENV = "SEQLAB_INTERLEAVE"  # "read_fd,write_fd,family,chunk_steps", set by the launcher


class Gate:
    """The pipe pair to the launcher: ask for a turn, wait until it is granted."""

    def __init__(self, read_fd: int, write_fd: int, family: str, chunk_steps: int) -> None:
        self._read = os.fdopen(read_fd, "r", buffering=1)
        self._write = os.fdopen(write_fd, "w", buffering=1)
        self.family = family
        self.chunk_steps = chunk_steps
        self.waited_s = 0.0
        self.turns = 0
        self.warmup_place: int | None = None  # the place of its warm-up in round 0

    @classmethod
    def from_env(cls) -> Gate | None:
        """This process's gate when an interleaving launcher started it, else None."""
        given = os.environ.pop(ENV, "")  # popped: a process this one starts is not a job
        if not given:
            return None
        read_fd, write_fd, family, steps = given.split(",", 3)
        return cls(int(read_fd), int(write_fd), family, int(steps))

    def turn(self) -> tuple[int, int]:
        """Ask for a turn and wait for it; returns (its round (0: the warm-up), its place
        in the round (0: first))."""
        start = time.perf_counter()
        try:
            self._write.write("ask\n")
            line = self._read.readline()
        except (BrokenPipeError, OSError):
            line = ""
        if not line.startswith("go "):
            # The launcher is gone (killed): nobody grants another turn. The job stops
            # as after SIGTERM, recorded interrupted, and resumes with the sweep.
            from seqlab.records.signals import Interrupted

            raise Interrupted("SIGTERM")
        self.waited_s += time.perf_counter() - start
        self.turns += 1
        words = line.split()
        number, place = int(words[1]), int(words[2]) if len(words) > 2 else 0
        if self.turns == 1:
            self.warmup_place = place
        return number, place

    def chunks(self, timer: Any, epochs: int) -> Any:
        """The Keras callback that takes a turn before every chunk, for a fit of `epochs`
        epochs in this process, pausing `timer` (a StepTimer) while it waits (imported
        here: this module stays free of Keras, which must start after the device)."""
        from seqlab.training.turns import ChunkTurns

        return ChunkTurns(self, timer, epochs)
