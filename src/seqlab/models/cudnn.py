"""Whether the recurrent layers can take the cuDNN kernel, and which kernel actually ran.

The prediction asks Keras: the cell is built from the config, and its activation,
recurrent activation, bias and (GRU) reset_after go to the backend's own cuDNN
argument check; the data's masks go to the backend's own mask checks (right-padded,
no fully masked sequence; for stateful runs, per chunk). What only the layer's code
decides (the fused layer only, `use_cudnn`, no recurrent dropout) is stated here, and
tests/test_cudnn.py checks it against what Keras does. Each backend module
(`seqlab.backends.*`) holds its own rules and its detector, run after fit: the cuDNN
op in TensorFlow's traced step, a cuDNN custom call in JAX's compiled step, a cuDNN
op in a profiled torch forward pass. Where it cannot look, the kernel is labelled
"predicted".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from types import ModuleType
from typing import Any

import numpy as np

from seqlab.models.cells import CellFamily, cell_kwargs
from seqlab.models.impls import IMPLEMENTATIONS
from seqlab.schema.options import ModelConfig


@dataclass
class CudnnReport:
    """cuDNN eligibility of a configuration, and the kernel that ran (after fit)."""

    eligible: bool
    reasons: list[str] = field(default_factory=list)
    gpu_present: bool | None = None
    # "cudnn" or "generic" when the traced training function was inspected; None until.
    detected: str | None = None

    @property
    def kernel(self) -> str:
        """What ran the recurrence; "predicted: ..." where it could not be detected."""
        if self.detected is not None:
            return self.detected
        return "predicted: " + ("cudnn" if self.eligible and self.gpu_present else "generic")

    @property
    def use_cudnn(self):
        """What to pass to Keras's LSTM/GRU: never try the kernel where it cannot run."""
        return "auto" if self.eligible else False

    def as_dict(self) -> dict:
        return {**asdict(self), "kernel": self.kernel}


def argument_reasons(family: CellFamily, model: ModelConfig, backend: ModuleType) -> list[str]:
    """Which of the cell's arguments the backend's cuDNN check in Keras refuses."""
    check = backend.cudnn_argument_check(family.cudnn_kernel)
    if check is None:
        return [f"model.cell={family.name} has no cuDNN kernel on backend={backend.NAME}"]
    cell = family.cell_class()(**cell_kwargs(model))
    actual = {
        "activation": cell.activation,
        "recurrent_activation": cell.recurrent_activation,
        "unroll": False,  # the implementation decides unrolling (see IMPLEMENTATIONS)
        "use_bias": cell.use_bias,
    }
    if "reset_after" in family.options:  # the GRU kernel's own argument
        actual["reset_after"] = cell.reset_after
    if check(**actual):
        return []
    # Name the arguments Keras refuses: each one alone on top of an accepted baseline.
    import keras

    accepted = {**actual, "activation": keras.activations.tanh, "unroll": False}
    accepted |= {"recurrent_activation": keras.activations.sigmoid, "use_bias": True}
    if "reset_after" in accepted:
        accepted["reset_after"] = True
    shown = {"activation": model.activation, "recurrent_activation": model.recurrent_activation}
    shown |= {"use_bias": model.use_bias, "reset_after": model.reset_after}
    reasons = [
        f"{name}={shown.get(name, value)} (Keras's cuDNN check refuses it)"
        for name, value in actual.items()
        if not check(**{**accepted, name: value})
    ]
    return reasons or ["Keras's cuDNN check refuses this cell's arguments"]


def mask_reasons(
    masks: list[np.ndarray], chunk_length: int | None, backend: ModuleType | None = None
) -> list[str]:
    """The backend's own mask checks on the data's (examples, time) masks, per chunk
    when stateful (each chunk is a sequence of its own for cuDNN)."""
    if not masks:
        return []
    if backend is None:
        from seqlab.backends import current

        backend = current()
    if chunk_length is not None:
        masks = [mask.reshape(-1, chunk_length) for mask in masks if len(mask)]
    what = "chunk" if chunk_length is not None else "sequence"
    return [
        f"a fully masked {what} (cuDNN rejects it at run time)" if r == "fully masked" else r
        for r in backend.mask_reasons(masks)
    ]


def cudnn_eligibility(
    family: CellFamily,
    model: ModelConfig,
    impl: str,
    masks: list[np.ndarray] | None = None,
    precision: str = "float32",
) -> CudnnReport:
    """Whether this config would take the cuDNN kernel on a GPU, and why not."""
    from seqlab.backends import current

    backend = current()
    reasons = []
    never = IMPLEMENTATIONS.get(impl).never_cudnn
    if not family.has_cudnn_kernel:
        reasons.append(f"model.cell={family.name} has no cuDNN kernel in Keras")
    elif never:
        reasons.append(never)
    else:
        if model.use_cudnn == "false":
            reasons.append("model.use_cudnn=false")
        if model.recurrent_dropout > 0:
            # LSTM/GRU.inner_loop try the backend's kernel only without recurrent dropout.
            reasons.append("recurrent_dropout > 0")
        reasons += backend.cudnn_refusals(family.cudnn_kernel, model, bool(masks), precision)
        reasons += argument_reasons(family, model, backend)
        chunk = model.chunk_length if model.stateful else None
        reasons += mask_reasons(masks or [], chunk, backend)
    return CudnnReport(eligible=not reasons, reasons=list(dict.fromkeys(reasons)))


def detect(model: Any, report: CudnnReport, sample: Any = None) -> None:
    """Fill `report.detected` with the kernel that ran, where the backend can tell.

    `sample` is one batch, which JAX needs to lower its step again and torch to
    profile a forward pass; TensorFlow reads the step it traced during fit.
    """
    from seqlab.backends import current

    report.detected = current().detect_kernel(model, sample)
