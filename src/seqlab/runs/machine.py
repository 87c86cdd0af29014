"""The machine a run ran on: its software and hardware, its peak memory, its load.

- `environment`: versions, CPU, GPU and process, for results.json's `env`.
- `reset_peaks` / `peaks`: peak resident memory of the process and of the GPU, reset
  per run (runs of a sweep share one process with Hydra's default launcher).
- `LoadProbe`: a machine-load probe, how long a small fixed computation takes on every
  core at once. Two jobs at once on a 2-core machine make every step about twice as
  slow, and a step time says nothing about why. The probe times the same workload
  before training, at the end of an epoch at most every `EVERY_S` seconds, and after
  training; the sweep summary compares each job's probe with the quietest job's on the
  same host and marks the jobs measured on a busy machine. The workload is NumPy
  element-wise work (which releases the GIL) in one thread per core, so a competing
  process on any core slows it; the best of a few repeats is kept, so a momentary
  hiccup does not count, but a sustained load does.
"""

from __future__ import annotations

import contextlib
import os
import platform
import resource
import sys
import threading
import time
from importlib import metadata
from typing import Any

import numpy as np


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def environment(gpu_name: str | None) -> dict:
    import keras

    from seqlab import __version__
    from seqlab.backends import current

    return {
        "python": platform.python_version(),
        "backend": keras.backend.backend(),
        **current().versions(),  # e.g. "tensorflow": "2.21.0", or jax and jaxlib
        "keras": keras.__version__,
        "hydra": _version("hydra-core"),
        "seqlab": __version__,
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "gpu": gpu_name,
        # Which process ran the job: launchers differ in that (one process, or one per job).
        "pid": os.getpid(),
        "host": platform.node(),
    }


def reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS counter (Linux >= 4.0); False where that is impossible.

    Runs of a sweep share one process with Hydra's default launcher; without the
    reset every run would report the peak of the largest run before it.
    """
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_rss_mb() -> float:
    """Peak resident memory of this process since the last reset, in MiB."""
    with contextlib.suppress(OSError), open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024.0 * 1024.0) if sys.platform == "darwin" else peak / 1024.0


def reset_peaks() -> None:
    """Start a run's peak measurements afresh (host and GPU)."""
    from seqlab.backends import current

    reset_peak_rss()
    current().reset_gpu_peak()


def peaks() -> dict[str, float | None]:
    """What results.json records under `memory`."""
    from seqlab.backends import current

    return {"peak_rss_mb": peak_rss_mb(), "peak_gpu_mb": current().gpu_peak_mb()}


EVERY_S = 60.0  # at most one probe per minute during training
# Best of 15: on a quiet 2-core VM the medians of six runs spread 1.06x (best of 3: 1.15x,
# which flagged quiet jobs as busy); one busy core of two makes it 1.5-1.9x.
REPEATS = 15
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
