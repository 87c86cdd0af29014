"""Whether the recurrent layers can take the cuDNN kernel, and which kernel actually ran.

The prediction asks Keras: the cell is built from the config, and its activation,
recurrent activation, bias and (GRU) reset_after go to the backend's own cuDNN
argument check; the data's masks go to the backend's own mask checks (right-padded,
no fully masked sequence; for stateful runs, per chunk). What only the layer's code
decides (the fused layer only, `use_cudnn`, no recurrent dropout) is stated here, and
tests/test_cudnn.py checks it against what Keras does. The detection looks, after
fit, for the cuDNN RNN op in the training function TensorFlow traced
(`seqlab.runs.device.ran_cudnn`); where it cannot look, the kernel is labelled
"predicted".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from seqlab.config.schema import ModelConfig
from seqlab.models.cells import CellFamily, cell_kwargs
from seqlab.models.impls import IMPLEMENTATIONS


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


def _tf_rules():
    """TensorFlow's own cuDNN checks in Keras (private functions: Keras exposes no others)."""
    import importlib

    # The module, not the `rnn` function the package exports under the same name.
    return importlib.import_module("keras.src.backend.tensorflow.rnn")


def argument_reasons(family: CellFamily, model: ModelConfig) -> list[str]:
    """Which of the cell's arguments Keras's cuDNN check refuses (empty: all accepted)."""
    rnn = _tf_rules()
    cell = family.cell_class()(**cell_kwargs(model))
    actual = {
        "activation": cell.activation,
        "recurrent_activation": cell.recurrent_activation,
        "unroll": False,  # the implementation decides unrolling (see IMPLEMENTATIONS)
        "use_bias": cell.use_bias,
    }
    if family.name == "gru":
        actual["reset_after"] = cell.reset_after
        check = rnn._do_gru_arguments_support_cudnn
    else:
        check = rnn._do_lstm_arguments_support_cudnn
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


def mask_reasons(masks: list[np.ndarray], chunk_length: int | None) -> list[str]:
    """Keras's mask checks on the data's (examples, time) masks; per chunk when stateful."""
    if not masks:
        return []
    import tensorflow as tf

    rnn = _tf_rules()
    reasons = []
    for mask in masks:
        if not len(mask):
            continue
        if chunk_length is not None:  # every chunk is a sequence of its own for cuDNN
            mask = mask.reshape(-1, chunk_length)
        tensor = tf.constant(mask)
        if not bool(rnn._is_sequence_right_padded(tensor)):
            reasons.append("mask not strictly right-padded (e.g. pre-padding with masking)")
        if bool(rnn._has_fully_masked_sequence(tensor)):
            what = "chunk" if chunk_length is not None else "sequence"
            reasons.append(f"a fully masked {what} (cuDNN rejects it at run time)")
        if reasons:
            break
    return sorted(set(reasons))


def cudnn_eligibility(
    family: CellFamily, model: ModelConfig, impl: str, masks: list[np.ndarray] | None = None
) -> CudnnReport:
    """Whether this config would take the cuDNN kernel on a GPU, and why not."""
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
        reasons += argument_reasons(family, model)
        reasons += mask_reasons(masks or [], model.chunk_length if model.stateful else None)
    return CudnnReport(eligible=not reasons, reasons=reasons)


def kernel_from_ops(op_types: set[str]) -> str:
    """ "cudnn" when the traced step holds TensorFlow's cuDNN RNN op, else "generic"."""
    return "cudnn" if any(op.startswith("CudnnRNN") for op in op_types) else "generic"


def detect(model: Any, report: CudnnReport) -> None:
    """Fill `report.detected` from the model's traced training function, where possible."""
    from seqlab.runs.device import traced_op_types

    ops = traced_op_types(model)
    report.detected = kernel_from_ops(ops) if ops else None
