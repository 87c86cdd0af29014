"""Peak memory of the process (resident set) and of the GPU, resettable per run."""

from __future__ import annotations

import contextlib
import resource
import sys


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
