"""Device selection: hide GPUs for `cpu`, insist on one for `gpu`, record what was used.

The backend modules (`seqlab.backends.*`) do the work; this module names the devices
and holds what a run records about them.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

from seqlab.errors import DeviceError
from seqlab.registry import Registry
from seqlab.schema.options import DeviceConfig

# device.name -> what it does
DEVICES: Registry[str] = Registry("device", key="device")
DEVICES.add("auto", "a GPU when the backend sees one, else the CPU")
DEVICES.add("cpu", "the CPU only: GPUs are hidden from the backend before it starts")
DEVICES.add("gpu", "a GPU, or stop at once with an error if none is visible")


@dataclass
class DeviceInfo:
    """What the run actually used."""

    requested: str
    used: str  # "cpu" or "gpu"
    gpu_present: bool  # a GPU is visible to the backend in this process
    gpu_name: str | None
    # How the request was honoured: "default" placement, "hidden" (GPUs hidden from
    # the backend before it started), or "cpu-scope" (the backend had already started
    # with GPUs visible, e.g. an earlier job of a sweep, so ops were pinned to the CPU
    # with its device scope instead).
    placement: str
    # Why the device differs from the request (a smoke run asked for a GPU, none here).
    note: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


class NoGpu(DeviceError):
    """The backend sees no GPU; `detail` says what the backend module found."""

    def __init__(self, backend: str, detail: str = "") -> None:
        super().__init__(no_gpu_message(backend, detail))
        self.backend = backend


# What to install so that each backend sees an NVIDIA GPU.
INSTALL_FOR_GPU = {
    "tensorflow": "pip install 'seqlab[gpu]' (TensorFlow with its CUDA libraries, "
    "tensorflow[and-cuda], about 2.7 GB; Linux only)",
    "jax": "pip install 'jax[cuda12]' (or 'jax[cuda13]' for a CUDA 13 driver)",
    "torch": "a CUDA build of PyTorch (pip install torch --index-url "
    "https://download.pytorch.org/whl/cu128, or the line pytorch.org gives for your CUDA)",
}


def nvidia_gpu() -> str | None:
    """What says this machine has an NVIDIA GPU, whatever a framework sees; None if nothing."""
    gpus = Path("/proc/driver/nvidia/gpus")
    if gpus.is_dir():
        for info in sorted(gpus.glob("*/information")):
            for line in info.read_text(errors="replace").splitlines():
                if line.startswith("Model:"):
                    return line.split(":", 1)[1].strip()
        return "the NVIDIA driver lists a GPU"
    if Path("/proc/driver/nvidia").exists():
        return "the NVIDIA driver is loaded"
    if shutil.which("nvidia-smi"):
        try:
            listed = subprocess.run(
                ["nvidia-smi", "-L"], capture_output=True, text=True, timeout=10
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return None
        return listed.splitlines()[0] if listed else None
    return None


# backend name -> the framework's own name, as users know it
FRAMEWORKS = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}


def no_gpu_message(backend: str, detail: str = "") -> str:
    """device=gpu without a GPU the backend sees: what is there, and what to do."""
    found = nvidia_gpu()
    framework = FRAMEWORKS.get(backend, backend)
    if found:
        return (
            f"device=gpu, and this machine has an NVIDIA GPU ({found}), but {framework} sees "
            f"none{detail}: the installed {framework} cannot use it. Install {framework} for "
            f"the GPU: {INSTALL_FOR_GPU.get(backend, 'a CUDA build')}. Or run with "
            "device=cpu or device=auto."
        )
    return (
        f"device=gpu, but {framework} sees no GPU{detail}, and this machine shows none (no "
        "/proc/driver/nvidia, no nvidia-smi). Run on a machine with an NVIDIA GPU and its "
        "driver, or with device=cpu or device=auto."
    )


def select_device(cfg: DeviceConfig, backend: str = "tensorflow", smoke: bool = False):
    """Start `backend` on the requested device; return what was used and a placement scope.

    Must run before any data is loaded or model built: `device=gpu` without a visible
    GPU raises `DeviceError` here, and the backend's device choice has to be made
    before Keras starts it. A smoke run (trainer=smoke) checks the code path, not the
    device: there device=gpu without a GPU runs on the CPU, and the record says so.
    """
    from seqlab.backends import activate

    module = activate(backend)
    module.prepare(cfg)
    try:
        return module.select_device(cfg)
    except NoGpu as exc:
        if not smoke:
            raise
        info, scope = module.select_device(DeviceConfig(name="auto"))
        info.requested = cfg.name
        framework = FRAMEWORKS.get(exc.backend, exc.backend)
        info.note = (
            f"device=gpu, but {framework} sees no GPU here: this smoke run ran on the "
            f"{info.used} instead (a smoke run checks the code path, not the device)"
        )
        return info, scope
