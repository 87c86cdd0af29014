"""`model.cell=custom`: a family built around any Keras RNN cell class, by import path.

A config is data, and so is a run folder that travels between machines: nothing in it
may make seqlab call arbitrary code. So a custom cell is built only like this:

- its arguments (`model.custom_cell` besides `_target_`) are plain values: numbers,
  strings, booleans, null, and lists of them. No nested `_target_`, no mapping, no key
  that starts with `_` (Hydra's instantiate keys): checked before anything is imported;
- its `_target_` is imported only when its module is trusted: a run trusts the import
  path its own command line or preset gives; `seqlab-predict` trusts seqlab's own
  modules and those the user names (`--trust MODULE`, or SEQLAB_TRUST=mod1,mod2),
  never one merely written in a results.json;
- what it imports must be a class that subclasses `keras.layers.Layer`; it is then
  called with `units` and those plain arguments, directly (no `hydra.utils.instantiate`).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from functools import partial
from typing import Any

from seqlab.errors import ConfigError, one_line
from seqlab.models.cells.base import CELLS, CellFamily
from seqlab.schema.options import ModelConfig

# Modules every seqlab command trusts: seqlab's own (the shipped example cells).
# seqlab's example cells only: the rest of seqlab is not cells, and importing some of it
# runs code (seqlab.__main__ starts a run).
BUILT_IN_TRUST = ("seqlab.examples",)
TRUST_ENV = "SEQLAB_TRUST"


def custom_target(model: ModelConfig) -> str:
    return str((model.custom_cell or {}).get("_target_") or "")


def plain_arguments(node: Any) -> dict[str, Any]:
    """The cell's own arguments from `model.custom_cell`, refused unless they are plain."""
    if not isinstance(node, dict) and not hasattr(node, "items"):
        raise ConfigError(
            f"model.custom_cell must be a mapping with _target_ and the cell's own options, "
            f"not {node!r}."
        )
    arguments = {str(k): v for k, v in dict(node).items() if k != "_target_"}
    for key, value in arguments.items():
        if key.startswith("_") or not _plain(value):
            raise ConfigError(
                f"model.custom_cell.{key}={value!r} is not allowed: a custom cell's options "
                "must be plain values (numbers, strings, booleans, null, or lists of them), "
                "never a nested _target_, a mapping or a key starting with '_', because a "
                "config (and a run folder's results.json) must not be able to make seqlab "
                "call code. Pass the value itself, or build it inside your cell class."
            )
    return arguments


def _plain(value: Any) -> bool:
    if value is None or isinstance(value, bool | int | float | str):
        return True
    if isinstance(value, list | tuple) or type(value).__name__ == "ListConfig":
        return all(_plain(item) for item in value)
    return False


def trusted_modules(extra: list[str] | tuple[str, ...] = ()) -> tuple[str, ...]:
    """seqlab's own modules, those in SEQLAB_TRUST, and `extra` (seqlab-predict --trust)."""
    named = [m.strip() for m in os.environ.get(TRUST_ENV, "").split(",") if m.strip()]
    # Never an empty name: it would trust every bare import path ("Cell" has module "").
    return tuple(m for m in (*BUILT_IN_TRUST, *named, *extra) if m.strip())


def check_trusted(target: str, trusted: tuple[str, ...], where: str) -> None:
    """Refuse an import path outside the trusted modules, before anything is imported."""
    module = target.rpartition(".")[0]
    parts = module.split(".")
    runs_code = any(part == "__main__" for part in parts)  # importing it runs a program
    if not runs_code and any(module == t or module.startswith(t + ".") for t in trusted):
        return
    raise ConfigError(
        f"{where} names the custom cell {target!r}, whose module {module or target!r} is not "
        f"trusted, so seqlab does not import it: a results.json is data and may come from "
        f"anyone. Trusted are {', '.join(trusted)}. If you trust that module's code, say "
        f"so with --trust {module or target} (or SEQLAB_TRUST={module or target})."
    )


def check_importable(target: str) -> None:
    """The module of `target` exists on the Python path (found, not run)."""
    module, _, name = target.rpartition(".")
    try:
        found = importlib.util.find_spec(module) if module and name else None
    except (ImportError, ValueError):
        found = None
    if found is None:
        raise ConfigError(
            f"model.custom_cell._target_={target!r} names no module on the Python path. "
            "Give the full import path of a cell class, e.g. my_package.cells.MyCell, "
            "and make sure its package is installed or on PYTHONPATH."
        )


def import_cell_class(target: str) -> type:
    """Import a user's cell class (which registers it for saving and loading too); it must
    be a class that subclasses keras.layers.Layer."""
    import keras

    module, _, name = target.rpartition(".")
    try:
        found = getattr(importlib.import_module(module), name)
    except Exception as exc:
        raise ConfigError(
            f"model.custom_cell._target_={target!r} could not be imported "
            f"({type(exc).__name__}: {exc}). Give the full import path of a cell class on the "
            "Python path, e.g. my_package.cells.MyCell."
        ) from None
    if not (isinstance(found, type) and issubclass(found, keras.layers.Layer)):
        raise ConfigError(
            f"model.custom_cell._target_={target!r} is {type(found).__name__} "
            f"{getattr(found, '__name__', found)!r}, not a Keras layer class: a custom cell "
            "must be a class that subclasses keras.layers.Layer (with state_size and "
            "call(inputs, states)). Point _target_ at such a class."
        )
    return found


def family_for(model: ModelConfig) -> CellFamily:
    """The registered family of `model.cell`, or one built for model.cell=custom."""
    if model.cell != "custom":
        return CELLS.get(model.cell)
    target = custom_target(model)
    arguments = plain_arguments(model.custom_cell)
    cell_class = import_cell_class(target)
    shown = ", ".join(f"{k}={v!r}" for k, v in arguments.items()) or "no options"
    try:
        probe = cell_class(units=1, **arguments)
    except Exception as exc:  # a misspelt option, a value the cell refuses
        detail = one_line(exc, 300)
        raise ConfigError(
            f"The custom cell {target} cannot be built with units and {shown} "
            f"({type(exc).__name__}: {detail}). Check the option names and values under "
            "model.custom_cell against the cell's constructor."
        ) from None
    state_size = getattr(probe, "state_size", None)
    if state_size is None:
        raise ConfigError(
            f"model.custom_cell._target_={target!r} is a Keras layer but not an RNN cell: it "
            "has no state_size (a cell declares the size of its state and implements "
            "call(inputs, states)). Point _target_ at a cell class, such as "
            "seqlab.examples.indrnn.IndRNNCell."
        )
    return CellFamily(
        name=f"custom ({target})",
        cell_class=lambda: partial(cell_class, **arguments),
        layer_class=None,  # custom cells have no fused layer: cell_loop or manual only
        num_states=len(state_size) if isinstance(state_size, list | tuple) else 1,
        gates=0,  # unknown: a user's cell has its own weights
    )
