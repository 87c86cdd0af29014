"""Implementations of the recurrence (`impl`): the same function, executed four ways.

- layer: the fused Keras layer (LSTM, GRU, SimpleRNN); cuDNN on a GPU when allowed.
- cell_loop: `keras.layers.RNN(cell)`, the generic symbolic loop; never cuDNN.
- manual: a Python loop over time steps calling the cell (`ManualRNN`).
- unrolled: the fused layer with `unroll=True` (the loop unrolled into the graph).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from seqlab.cells.base import CellFamily
from seqlab.errors import ConfigError
from seqlab.registry import Registry

# (family, cell kwargs, rnn kwargs, use_cudnn) -> a Keras RNN layer
ImplBuilder = Callable[[CellFamily, dict[str, Any], dict[str, Any], Any], Any]
IMPLEMENTATIONS: Registry[ImplBuilder] = Registry("impl")


def _fused_layer_class(family: CellFamily, impl: str) -> type:
    if family.layer_class is None:
        raise ConfigError(
            f"impl={impl} needs a fused Keras layer, and model.cell={family.name} has "
            "none (custom cells only run in a generic loop). Use impl=cell_loop or "
            "impl=manual."
        )
    return family.layer_class()


def _fused(family: CellFamily, cell_kw: dict, rnn_kw: dict, use_cudnn: Any, impl: str, **extra):
    layer_class = _fused_layer_class(family, impl)
    if family.has_cudnn_kernel:
        extra["use_cudnn"] = use_cudnn
    return layer_class(**cell_kw, **rnn_kw, **extra)


@IMPLEMENTATIONS.register("layer")
def fused_layer(family: CellFamily, cell_kw: dict, rnn_kw: dict, use_cudnn: Any):
    return _fused(family, cell_kw, rnn_kw, use_cudnn, "layer")


@IMPLEMENTATIONS.register("unrolled")
def unrolled_layer(family: CellFamily, cell_kw: dict, rnn_kw: dict, use_cudnn: Any):
    return _fused(family, cell_kw, rnn_kw, False, "unrolled", unroll=True)


@IMPLEMENTATIONS.register("cell_loop")
def cell_loop(family: CellFamily, cell_kw: dict, rnn_kw: dict, use_cudnn: Any):
    import keras

    return keras.layers.RNN(family.cell_class()(**cell_kw), **rnn_kw)


@IMPLEMENTATIONS.register("manual")
def manual_loop(family: CellFamily, cell_kw: dict, rnn_kw: dict, use_cudnn: Any):
    from seqlab.manual_rnn import ManualRNN

    return ManualRNN(family.cell_class()(**cell_kw), **rnn_kw)
