"""Device selection: hide GPUs for `cpu`, insist on one for `gpu`, record what was used."""

from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import asdict, dataclass

from seqlab.config import DeviceConfig
from seqlab.errors import DeviceError


@dataclass
class DeviceInfo:
    """What the run actually used."""

    requested: str
    used: str  # "cpu" or "gpu"
    gpu_present: bool  # a GPU is visible to TensorFlow in this process
    gpu_name: str | None
    # How the request was honoured: "default" placement, "hidden" (GPUs hidden
    # from TensorFlow before it started), or "cpu-scope" (TensorFlow had already
    # started with GPUs visible, e.g. an earlier job of a sweep, so ops were pinned
    # to the CPU with tf.device instead).
    placement: str

    def as_dict(self) -> dict:
        return asdict(self)


def quiet_tensorflow() -> None:
    """Silence TensorFlow's C++ start-up chatter (CUDA probing) unless the user asked for it."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def select_device(cfg: DeviceConfig) -> tuple[DeviceInfo, contextlib.AbstractContextManager]:
    """Configure TensorFlow for `cfg` and return what was chosen plus a placement scope.

    Must run before any data is loaded or model built: `device=gpu` without a
    visible GPU raises `DeviceError` here.
    """
    quiet_tensorflow()
    if cfg.name == "cpu" and "tensorflow" not in sys.modules:
        os.environ["CUDA_VISIBLE_DEVICES"] = "-1"  # before TensorFlow initialises CUDA
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    placement = "default"
    scope: contextlib.AbstractContextManager = contextlib.nullcontext()
    if cfg.name == "cpu":
        placement = "hidden"
        if gpus:
            try:
                tf.config.set_visible_devices([], "GPU")
            except RuntimeError:  # TensorFlow already initialised with the GPUs
                placement = "cpu-scope"
                scope = tf.device("/CPU:0")
        gpus = [] if placement == "hidden" else gpus
    elif cfg.name == "gpu" and not gpus:
        hidden = os.environ.get("CUDA_VISIBLE_DEVICES") == "-1"
        raise DeviceError(
            "device=gpu, but TensorFlow sees no GPU on this machine"
            + (" (CUDA_VISIBLE_DEVICES=-1 hides them)" if hidden else "")
            + ". Check `nvidia-smi` and that the installed TensorFlow has CUDA support "
            "(pip install 'tensorflow[and-cuda]'), or run with device=cpu or device=auto."
        )
    if gpus and cfg.memory_growth:
        for gpu in gpus:
            with contextlib.suppress(RuntimeError):  # already initialised: keep its setting
                tf.config.experimental.set_memory_growth(gpu, True)
    gpu_name = None
    if gpus:
        details = tf.config.experimental.get_device_details(gpus[0])
        gpu_name = details.get("device_name", gpus[0].name)
    used = "gpu" if gpus and placement != "cpu-scope" else "cpu"
    info = DeviceInfo(cfg.name, used, bool(gpus), gpu_name, placement)
    return info, scope
