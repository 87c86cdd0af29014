"""Device selection: hide GPUs for `cpu`, insist on one for `gpu`, record what was used.

The backend modules (`seqlab.backends.*`) do the work; this module names the devices
and holds what a run records about them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

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

    def as_dict(self) -> dict:
        return asdict(self)


def select_device(cfg: DeviceConfig, backend: str = "tensorflow"):
    """Start `backend` on the requested device; return what was used and a placement scope.

    Must run before any data is loaded or model built: `device=gpu` without a visible
    GPU raises `DeviceError` here, and the backend's device choice has to be made
    before Keras starts it.
    """
    from seqlab.backends import activate

    module = activate(backend)
    module.prepare(cfg)
    return module.select_device(cfg)
