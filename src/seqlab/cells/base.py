"""What a cell family is, the registry of families, and its config -> keyword mapping."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from seqlab.config import ModelConfig
from seqlab.errors import ConfigError
from seqlab.registry import Registry


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


CELLS: Registry[CellFamily] = Registry("cell")

# Options that only some cells have; None in ModelConfig means "cell default".
OPTIONAL_OPTIONS = ("recurrent_activation", "reset_after")


def register_cell(family: CellFamily) -> CellFamily:
    return CELLS.register(family.name)(family)


def cell_kwargs(family: CellFamily, model: ModelConfig) -> dict[str, Any]:
    """Keyword arguments for the family's cell (and fused layer) from the model config."""
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
    for option in OPTIONAL_OPTIONS:
        value = getattr(model, option)
        if value is None:
            continue
        if option not in family.options:
            raise ConfigError(
                f"model.{option}={value!r} does not apply to model.cell={family.name}: "
                f"only cells with that option take it. Remove the override "
                f"(or set it to null)."
            )
        kwargs[option] = value
    return kwargs


def family_for(model: ModelConfig) -> CellFamily:
    """The registered family of `model.cell`, or one built for model.cell=custom."""
    if model.cell != "custom":
        return CELLS.get(model.cell)
    from functools import partial

    from hydra.utils import get_class, instantiate

    node = dict(model.custom_cell)
    try:
        cell_class = get_class(node["_target_"])
    except Exception as exc:
        raise ConfigError(
            f"model.custom_cell._target_={node['_target_']!r} could not be imported ({exc}). "
            "Give the full import path of a cell class on the Python path, e.g. "
            "my_package.cells.MyCell."
        ) from None
    probe = cell_class(units=1, **{k: v for k, v in node.items() if k != "_target_"})
    state_size = probe.state_size
    return CellFamily(
        name=f"custom ({node['_target_']})",
        cell_class=lambda: partial(instantiate, node),
        layer_class=None,  # custom cells have no fused layer: cell_loop or manual only
        num_states=len(state_size) if isinstance(state_size, list | tuple) else 1,
        has_cudnn_kernel=False,
    )
