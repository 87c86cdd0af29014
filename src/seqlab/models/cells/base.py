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
        has_cudnn_kernel: whether Keras has a cuDNN kernel for the fused layer.
        options: the ModelConfig options that only some cells take and this one does.
    """

    name: str
    cell_class: Callable[[], type]
    layer_class: Callable[[], type] | None
    num_states: int
    has_cudnn_kernel: bool
    options: frozenset[str] = frozenset()


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
