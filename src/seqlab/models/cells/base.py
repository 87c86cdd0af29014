"""What a cell family is, the registry of families, and its config -> keyword mapping."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from seqlab.registry import Registry
from seqlab.schema.options import ModelConfig


@dataclass(frozen=True)
class CellFamily:
    """A cell type and its fused Keras layer.

    Attributes:
        name: the registry key (`model.cell`).
        cell_class: returns the Keras cell class (imported lazily: keeps TF out of
            `seqlab --help`).
        layer_class: returns the fused Keras layer class (LSTM, GRU, SimpleRNN), or
            None for cells that only run in `keras.layers.RNN` or the manual loop.
        num_states: state tensors per step (LSTM: h and c; GRU and SimpleRNN: h).
        gates: weight blocks per step, each (inputs + units) x units (LSTM 4, GRU 3,
            SimpleRNN 1): what the parameter count and the tests read.
        cudnn_kernel: which of Keras's cuDNN kernels its fused layer calls ("lstm",
            "gru"), or None: every backend's rules are asked by this, never by the
            cell's name, so a new cell on an existing kernel needs no backend change.
        options: the ModelConfig options that only some cells take and this one does.
    """

    name: str
    cell_class: Callable[[], type]
    layer_class: Callable[[], type] | None
    num_states: int
    gates: int
    cudnn_kernel: str | None = None
    options: frozenset[str] = frozenset()

    @property
    def has_cudnn_kernel(self) -> bool:
        return self.cudnn_kernel is not None


CELLS: Registry[CellFamily] = Registry("cell", key="model.cell")

# Options that only some cells have; None in ModelConfig means "cell default".
OPTIONAL_OPTIONS = ("recurrent_activation", "reset_after")


def register_cell(family: CellFamily) -> CellFamily:
    return CELLS.add(family.name, family)


def cell_kwargs(model: ModelConfig) -> dict[str, Any]:
    """Keyword arguments for the cell (and fused layer) from a validated model config."""
    if model.cell == "custom":
        # A user's cell takes its own options from model.custom_cell; seqlab sets only
        # the width, and the dropout options when asked for (the cell must take them).
        kwargs = {"units": model.units}
        kwargs.update(
            {k: getattr(model, k) for k in ("dropout", "recurrent_dropout") if getattr(model, k)}
        )
        return kwargs
    kwargs: dict[str, Any] = {
        "units": model.units,
        "activation": model.activation,
        "use_bias": model.use_bias,
        "dropout": model.dropout,
        "recurrent_dropout": model.recurrent_dropout,
    }
    # Only set where given: seqlab.config.validate refuses them for cells without them.
    kwargs.update({k: getattr(model, k) for k in OPTIONAL_OPTIONS if getattr(model, k) is not None})
    return kwargs
