"""Keras backends: the one package that knows TensorFlow, JAX and PyTorch apart.

`backend=tensorflow|jax|torch` picks which framework Keras runs on. Keras reads
`KERAS_BACKEND` once, at its first import, so a process has one backend for its
life: `activate` sets it before Keras is imported, and a sweep job whose backend
differs from its process's runs in a child process (`seqlab.runs.job`). Nothing
outside this package imports tensorflow, jax or torch.

Each backend module provides the same functions: `prepare` (environment before the
framework starts), `select_device`, `versions`, `reset_gpu_peak`, `gpu_peak_mb`,
`cudnn_refusals` and `cudnn_argument_check` (its own cuDNN rules, asked of Keras),
`mask_reasons`, `detect_kernel` (the kernel that ran), `jit_meaning`, `random_state`
and `set_random_state` (global random state beyond the model's, for checkpoints),
`out_of_memory` (whether an exception is its way of saying so), and `batches` (the
data pipeline it runs fastest with).
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import tempfile
from types import ModuleType

from seqlab.registry import Registry

# backend name -> the seqlab module that speaks to it
BACKENDS: Registry[str] = Registry("backend", key="backend")
BACKENDS.add("tensorflow", "seqlab.backends.tensorflow")
BACKENDS.add("jax", "seqlab.backends.jax")
BACKENDS.add("torch", "seqlab.backends.torch")


def running() -> str | None:
    """The backend Keras runs on in this process; None while Keras is not imported."""
    keras = sys.modules.get("keras")
    return keras.backend.backend() if keras is not None else None


def module(name: str) -> ModuleType:
    return importlib.import_module(BACKENDS.get(name))


def can_activate(name: str) -> bool:
    """Whether this process can run Keras on `name` (Keras not imported, or on `name`)."""
    return running() in (None, name)


def activate(name: str) -> ModuleType:
    """Choose `name` for Keras in this process (before Keras is imported) and return
    seqlab's module for it. Raises RuntimeError when Keras already runs on another."""
    if not can_activate(name):
        raise RuntimeError(f"Keras already runs on {running()} in this process, not {name}")
    os.environ["KERAS_BACKEND"] = name
    return module(name)


@contextlib.contextmanager
def native_stderr(*, distinct: bool = False, drop: tuple[str, ...] = ()):
    """Filter what native libraries print to file descriptor 2 within the block.

    Python's own `sys.stderr` cannot catch C++ logging; fd 2 points at a temporary
    file meanwhile, and its lines are then written to the real stderr in their
    order: each distinct line once (`distinct`, comparing the text after "] ", i.e.
    without time and pid), and none that starts with one of `drop`.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            seen: set[str] = set()
            for line in captured.read().decode(errors="replace").splitlines():
                key = line.split("] ", 1)[-1] if distinct else None
                if line.startswith(drop) or (distinct and key in seen):
                    continue
                seen.add(key)
                print(line, file=sys.stderr)


def current() -> ModuleType:
    """seqlab's module for the backend Keras runs on (importing Keras if needed)."""
    import keras

    return module(keras.backend.backend())


def out_of_memory(exc: BaseException) -> bool:
    """Whether `exc` says the run ran out of memory (Python's own, or the backend's)."""
    if isinstance(exc, MemoryError):
        return True
    name = running()
    if name is None:
        return False
    try:
        return bool(module(name).out_of_memory(exc))
    except Exception:  # the question must never raise in an error path
        return False
