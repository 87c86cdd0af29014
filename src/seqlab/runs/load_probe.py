"""A machine-load probe: how long a small fixed computation takes on every core at once.

Two jobs at once on a 2-core machine make every step about twice as slow, and a step
time says nothing about why. The probe times the same workload before training, at
the end of an epoch at most every `EVERY_S` seconds, and after training; the sweep
summary compares each job's probe with the quietest job's on the same host and marks
the jobs measured on a busy machine (`seqlab.sweeps.rows`).

The workload is NumPy element-wise work (which releases the GIL) in one thread per
core, so a competing process on any core slows it; the best of a few repeats is kept,
so a momentary hiccup does not count, but a sustained load does.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import numpy as np

EVERY_S = 60.0  # at most one probe per minute during training
REPEATS = 3
SIZE = 1 << 16  # doubles per thread: fits in a core's cache
ROUNDS = 40  # element-wise passes per repeat: about 10 ms per repeat here
DEFINITION = (
    "ms to run a fixed NumPy workload on every core at once (best of "
    f"{REPEATS}), sampled before training, after training and at most every {EVERY_S:.0f} s "
    "at an epoch's end; a job whose median is clearly above the quietest job's on the same "
    "host was measured on a busy machine"
)


def probe_ms(threads: int | None = None) -> float:
    """The best-of-`REPEATS` wall time, in ms, of the workload on `threads` threads."""
    threads = threads or os.cpu_count() or 1
    buffers = [(np.linspace(0.0, 1.0, SIZE), np.empty(SIZE)) for _ in range(threads)]

    def work(index: int) -> None:
        a, out = buffers[index]
        for _ in range(ROUNDS):
            np.sin(a, out=out)
            np.multiply(out, 1.0001, out=out)

    best = float("inf")
    for _ in range(REPEATS):
        pool = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
        start = time.perf_counter()
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
        best = min(best, (time.perf_counter() - start) * 1000.0)
    return best


class LoadProbe:
    """The probe samples of one run."""

    def __init__(self) -> None:
        self.samples: list[dict[str, Any]] = []
        self._last = 0.0

    def sample(self, at: str) -> None:
        self.samples.append({"at": at, "ms": round(probe_ms(), 3)})
        self._last = time.monotonic()

    def maybe_sample(self, at: str = "epoch end") -> None:
        if time.monotonic() - self._last >= EVERY_S:
            self.sample(at)

    def as_dict(self) -> dict[str, Any]:
        values = [s["ms"] for s in self.samples]
        return {
            "median_ms": float(np.median(values)) if values else None,
            "samples": self.samples,
            "threads": os.cpu_count(),
            "definition": DEFINITION,
        }
