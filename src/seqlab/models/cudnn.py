"""Whether the recurrent layers can use the cuDNN kernel, by Keras 3's own rules.

Keras picks the cuDNN kernel for `LSTM`/`GRU` layers only when all of these hold:
activation tanh, recurrent_activation sigmoid, recurrent_dropout 0, unroll False,
use_bias True, (GRU) reset_after True, a mask (if any) that is strictly
right-padded with no fully masked sequence, and a visible GPU. `keras.layers.RNN`
(and so any hand-written loop) never uses it. Keras says none of this at run time,
so seqlab works it out before building and records it in `results.json`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from seqlab.config.schema import ModelConfig
from seqlab.models.cells import CellFamily
from seqlab.models.impls import IMPLEMENTATIONS


@dataclass
class CudnnReport:
    """cuDNN eligibility of a configuration; `gpu_present` is filled in on the device."""

    eligible: bool
    reasons: list[str] = field(default_factory=list)
    gpu_present: bool | None = None

    @property
    def kernel(self) -> str:
        """What runs the recurrence: "cudnn" only when eligible and on a GPU."""
        return "cudnn" if self.eligible and self.gpu_present else "generic"

    @property
    def use_cudnn(self):
        """What to pass to Keras's LSTM/GRU: never try the kernel where it cannot run."""
        return "auto" if self.eligible else False

    def as_dict(self) -> dict:
        return {**asdict(self), "kernel": self.kernel}


def masks_right_padded(masks: list[np.ndarray]) -> bool | None:
    """Whether every (examples, time) mask is strictly right-padded with no fully masked
    sequence (what cuDNN needs); None when the input is not masked."""
    if not masks:
        return None
    return all(bool(m[:, 0].all() and (m[:, 1:] <= m[:, :-1]).all()) for m in masks if len(m))


def cudnn_eligibility(
    family: CellFamily, model: ModelConfig, impl: str, *, mask_right_padded: bool | None
) -> CudnnReport:
    """Apply Keras's rules; `mask_right_padded` is None when the input has no mask."""
    reasons = []
    if not family.has_cudnn_kernel:
        reasons.append(f"model.cell={family.name} has no cuDNN kernel in Keras")
    never = IMPLEMENTATIONS.get(impl).never_cudnn
    if never:
        reasons.append(never)
    if model.use_cudnn == "false":
        reasons.append("model.use_cudnn=false")
    if model.activation != "tanh":
        reasons.append(f"activation={model.activation} (needs tanh)")
    if model.recurrent_activation not in (None, "sigmoid") and family.has_cudnn_kernel:
        reasons.append(f"recurrent_activation={model.recurrent_activation} (needs sigmoid)")
    if model.recurrent_dropout > 0:
        reasons.append("recurrent_dropout > 0")
    if not model.use_bias:
        reasons.append("use_bias=false")
    if family.name == "gru" and model.reset_after is False:
        reasons.append("reset_after=false")
    if mask_right_padded is False:
        reasons.append("mask not strictly right-padded (e.g. pre-padding with masking)")
    return CudnnReport(eligible=not reasons, reasons=reasons)
