"""The machine a run ran on: its software and hardware, and its peak memory.

- `environment`: versions, CPU, GPU and process, for results.json's `env`.
- `reset_peaks` / `peaks`: peak resident memory of the process and of the GPU, reset
  per run (runs of a sweep share one process with Hydra's default launcher).
(What else used the cores while a run trained is measured by `seqlab.training.load`.)
"""

from __future__ import annotations

import contextlib
import os
import platform
import resource
import sys
from importlib import metadata


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
