"""The software and hardware a run used, for results.json."""

from __future__ import annotations

import os
import platform
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
