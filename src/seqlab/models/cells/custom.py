"""`model.cell=custom`: a family built around any Keras RNN cell class, by import path."""

from __future__ import annotations

from functools import partial

from seqlab.config.schema import ModelConfig
from seqlab.errors import ConfigError
from seqlab.models.cells.base import CELLS, CellFamily


def custom_target(model: ModelConfig) -> str:
    return str((model.custom_cell or {}).get("_target_") or "")


def import_cell_class(target: str) -> type:
    """Import a user's cell class (which registers it for saving and loading too)."""
    from hydra.utils import get_class

    try:
        return get_class(target)
    except Exception as exc:
        raise ConfigError(
            f"model.custom_cell._target_={target!r} could not be imported ({exc}). "
            "Give the full import path of a cell class on the Python path, e.g. "
            "my_package.cells.MyCell."
        ) from None


def family_for(model: ModelConfig) -> CellFamily:
    """The registered family of `model.cell`, or one built for model.cell=custom."""
    if model.cell != "custom":
        return CELLS.get(model.cell)
    from hydra.utils import instantiate

    node = dict(model.custom_cell)
    cell_class = import_cell_class(node["_target_"])
    probe = cell_class(units=1, **{k: v for k, v in node.items() if k != "_target_"})
    state_size = probe.state_size
    return CellFamily(
        name=f"custom ({node['_target_']})",
        cell_class=lambda: partial(instantiate, node),
        layer_class=None,  # custom cells have no fused layer: cell_loop or manual only
        num_states=len(state_size) if isinstance(state_size, list | tuple) else 1,
        has_cudnn_kernel=False,
    )
