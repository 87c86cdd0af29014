"""PyTorch: devices, versions, GPU memory, cuDNN, the profiled step. The only seqlab
module that imports torch.

Keras 3.15 on torch: its fused LSTM and GRU call `torch._VF.lstm` / `gru` (cuDNN) on
a CUDA device, with no mask; otherwise a torch loop. `use_cudnn=True` falls back
silently there, and `jit_compile=True` means torch.compile, which skips cuDNN.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from typing import Any

import numpy as np

from seqlab.backends import native_stderr
from seqlab.schema.options import DeviceConfig

NAME = "torch"
PIPELINE = "numpy"  # what serves the batches (see `pipeline`)


def prepare(device: DeviceConfig) -> None:
    """Before Keras picks its torch device (at its first import)."""
    if device.name == "cpu" and "keras" not in sys.modules:
        os.environ["KERAS_TORCH_DEVICE"] = "cpu"


def select_device(cfg: DeviceConfig):
    import torch

    from seqlab.backends.devices import DeviceInfo, NoGpu

    gpu = torch.cuda.is_available()
    placement, scope = "default", contextlib.nullcontext()
    if cfg.name == "cpu":
        placement = "hidden"
        if gpu:
            from keras.src.backend.torch.core import device_scope, get_device

            if get_device() != "cpu":  # Keras started on CUDA (an earlier job)
                placement, scope = "cpu-scope", device_scope("cpu")
            gpu = False
    elif cfg.name == "gpu" and not gpu:
        raise NoGpu("torch")
    name = torch.cuda.get_device_name(0) if gpu else None
    return DeviceInfo(cfg.name, "gpu" if gpu else "cpu", gpu, name, placement), scope


def versions() -> dict[str, str]:
    import torch

    found = {"torch": torch.__version__}
    if torch.version.cuda:
        found["cuda"] = torch.version.cuda
    return found


def reset_gpu_peak() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()


def gpu_peak_mb() -> float | None:
    import torch

    if not torch.cuda.is_available():
        return None
    return torch.cuda.max_memory_allocated() / (1024.0 * 1024.0)


def cudnn_argument_check(kernel: str | None):
    """Keras's own torch cuDNN check of a cell's arguments (it also asks for CUDA,
    which is answered yes here: the question is what would run on a GPU)."""
    rules = importlib.import_module("keras.src.backend.torch.rnn")

    def check(activation, recurrent_activation, unroll, use_bias, reset_after=True):
        original = rules._is_cuda_cudnn_available
        rules._is_cuda_cudnn_available = lambda: True
        try:
            ok = rules.cudnn_ok(activation, recurrent_activation, unroll, use_bias)
        finally:
            rules._is_cuda_cudnn_available = original
        return ok and reset_after  # Keras's torch GRU takes only reset_after=True

    return check if kernel in ("lstm", "gru") else None


def cudnn_refusals(
    kernel: str | None, model: Any, masked: bool, precision: str = "float32"
) -> list[str]:
    """Nothing beyond the masks: Keras casts the input to the kernel's dtype and falls
    back to its torch loop when cuDNN refuses (the kernel detection says what ran)."""
    return []


def mask_reasons(masks: list[np.ndarray]) -> list[str]:
    return ["masked input (Keras's torch cuDNN path takes no mask)"] if masks else []


def detect_kernel(model, sample: Any = None) -> str | None:
    """ "cudnn" when a profiled forward pass runs a cuDNN op, else "generic"."""
    if sample is None:
        return None
    import torch

    # Kineto prints a line when profiling starts and stops; they say nothing here.
    with native_stderr(drop=("USDT:",)), torch.no_grad(), torch.profiler.profile() as profile:
        model(sample[0], training=False)
    names = {event.key for event in profile.key_averages()}
    return "cudnn" if any("cudnn" in name.lower() for name in names) else "generic"


def jit_meaning(jit: bool) -> str:
    return "torch.compile (no cuDNN RNN kernels)" if jit else "eager PyTorch"


def pipeline():
    """The module whose `batches` and `chunk_batches` feed fit on this backend."""
    from seqlab.data import arrays

    return arrays


def random_state() -> dict[str, Any]:
    """torch's global generators (CPU, and CUDA where it started): Keras's torch dropout
    without a seed draws from them (its SeedGenerators are not asked), and so does every
    DataLoader iterator Keras makes. Bytes as base64, for a checkpoint's JSON."""
    import base64

    import torch

    def text(state) -> str:
        return base64.b64encode(state.numpy().tobytes()).decode()

    state = {"cpu": text(torch.get_rng_state())}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = [text(s) for s in torch.cuda.get_rng_state_all()]
    return state


def set_random_state(state: dict[str, Any]) -> None:
    """Put back what `random_state` returned."""
    import base64

    import torch

    def tensor(text: str):
        return torch.frombuffer(bytearray(base64.b64decode(text)), dtype=torch.uint8)

    torch.set_rng_state(tensor(state["cpu"]))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([tensor(t) for t in state["cuda"]])


def out_of_memory(exc: BaseException) -> bool:
    """Whether PyTorch ran out of (device) memory in `exc`."""
    import torch

    return isinstance(exc, torch.OutOfMemoryError)
