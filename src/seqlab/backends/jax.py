"""JAX: devices, versions, GPU memory, cuDNN, the compiled step. The only seqlab module
that imports JAX.

Keras 3.15 on JAX: its fused LSTM calls cuDNN through `jax.experimental.rnn.lstm` on a
GPU (no mask); its GRU is a `lax.scan` on every device, never cuDNN.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from typing import Any

import numpy as np

from seqlab.schema.options import DeviceConfig

NAME = "jax"
PIPELINE = "numpy"  # what serves the batches (see `pipeline`)


def prepare(device: DeviceConfig) -> None:
    """Before JAX starts: platforms are chosen once, at its first use."""
    if device.name == "cpu" and "jax" not in sys.modules:
        os.environ["JAX_PLATFORMS"] = "cpu"


def select_device(cfg: DeviceConfig):
    import jax

    from seqlab.backends.devices import DeviceInfo, NoGpu

    try:
        gpus = jax.devices("gpu")
    except RuntimeError:  # no GPU platform (or JAX_PLATFORMS=cpu)
        gpus = []
    placement, scope = "default", contextlib.nullcontext()
    if cfg.name == "cpu":
        placement = "hidden"
        if gpus:  # JAX started with its GPUs (an earlier job of this process)
            placement, scope = "cpu-scope", jax.default_device(jax.devices("cpu")[0])
            gpus = []
    elif cfg.name == "gpu" and not gpus:
        hidden = os.environ.get("JAX_PLATFORMS")
        raise NoGpu("jax", f" (JAX_PLATFORMS={hidden} hides them)" if hidden else "")
    name = gpus[0].device_kind if gpus else None
    return DeviceInfo(cfg.name, "gpu" if gpus else "cpu", bool(gpus), name, placement), scope


def versions() -> dict[str, str]:
    import jax
    import jaxlib

    return {"jax": jax.__version__, "jaxlib": jaxlib.__version__}


def reset_gpu_peak() -> None:
    """JAX keeps no resettable peak: `gpu_peak_mb` is the process's peak so far."""


def gpu_peak_mb() -> float | None:
    import jax

    try:
        device = jax.devices("gpu")[0]
    except RuntimeError:
        return None
    stats = device.memory_stats() or {}
    peak = stats.get("peak_bytes_in_use")
    return None if peak is None else peak / (1024.0 * 1024.0)


@contextlib.contextmanager
def _gpu_assumed(rules):
    """Ask Keras's JAX check as if a GPU were there (it checks for one itself)."""
    original = rules._is_gpu_available
    rules._is_gpu_available = lambda: True
    try:
        yield
    finally:
        rules._is_gpu_available = original


def cudnn_argument_check(kernel: str | None):
    """Keras's own JAX cuDNN check for an LSTM's arguments; JAX has no cuDNN GRU."""
    if kernel != "lstm":
        return None
    rules = importlib.import_module("keras.src.backend.jax.rnn")

    def check(activation, recurrent_activation, unroll, use_bias):
        with _gpu_assumed(rules):
            return rules.cudnn_ok(activation, recurrent_activation, unroll, use_bias)

    return check


def cudnn_refusals(
    kernel: str | None, model: Any, masked: bool, precision: str = "float32"
) -> list[str]:
    """What rules out cuDNN on JAX beyond the cell's arguments (Keras 3.15)."""
    reasons = []
    if precision != "float32" and kernel == "lstm":
        # jaxlib's cuDNN RNN lowering (gpu_rnn) takes float32 and float64 and raises for
        # other dtypes, after Keras's try block (read in the source, not run on a GPU).
        reasons.append(
            f"trainer.precision={precision} (JAX's cuDNN LSTM is lowered for float32 only)"
        )
    if kernel == "gru":
        reasons.append("backend=jax has no cuDNN GRU in Keras (its GRU is a lax.scan)")
    sequences = model.layers > 1 or model.readout.startswith("sequence")
    if model.bidirectional and sequences:
        # Keras 3.15's JAX cuDNN LSTM returns go_backwards sequences in forward time
        # order, so a bidirectional sequence model would differ from use_cudnn=False.
        reasons.append(
            "bidirectional layers that return sequences (Keras 3.15's JAX cuDNN LSTM "
            "returns the backward sequence in the wrong time order)"
        )
    return reasons


def mask_reasons(masks: list[np.ndarray]) -> list[str]:
    return ["masked input (Keras's JAX cuDNN LSTM takes no mask)"] if masks else []


def detect_kernel(model, sample: Any = None) -> str | None:
    """ "cudnn" when the compiled training step holds a cuDNN custom call, else
    "generic"; None when the step cannot be lowered again (no jit, a changed Keras)."""
    if sample is None:
        return None
    text = lowered_step(model, sample)
    if text is None:
        return None
    return "cudnn" if "cudnn" in text.lower() else "generic"


def lowered_step(model, sample: Any) -> str | None:
    """The StableHLO text of the model's jitted training step for one batch."""
    jitted = [
        cell.cell_contents
        for cell in getattr(model.train_function, "__closure__", None) or ()
        if hasattr(getattr(cell, "cell_contents", None), "lower")
    ]
    if not jitted:
        return None
    state = model._get_jax_state(
        trainable_variables=True,
        non_trainable_variables=True,
        optimizer_variables=True,
        metrics_variables=True,
    )
    try:
        return jitted[0].lower(state, sample).as_text()
    except Exception:  # the step's signature changed: say "predicted" instead
        return None


def jit_meaning(jit: bool) -> str:
    return "XLA (jax.jit)" if jit else "no jax.jit: op by op, very slow"


def random_state() -> None:
    """Nothing beyond the model: JAX has no global random state: Keras draws from its
    SeedGenerators, whose states are model variables."""
    return None


def set_random_state(state: Any) -> None:
    """Nothing to put back (see `random_state`)."""


def pipeline():
    """The module whose `batches` and `chunk_batches` feed fit on this backend."""
    from seqlab.data import arrays

    return arrays


def out_of_memory(exc: BaseException) -> bool:
    """Whether XLA ran out of memory in `exc` (JAX raises it as a runtime error)."""
    return "RESOURCE_EXHAUSTED" in str(exc)
