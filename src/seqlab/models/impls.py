"""Implementations of the recurrence (`impl`): the same function, executed four ways.

Each registered `Implementation` says how to build one recurrent layer and what
follows from it (whether it needs Keras's fused layer, why it never takes the cuDNN
kernel); the builder, the config checks, the cuDNN report and `seqlab-predict` all
read these entries, so an implementation's name and traits live here only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from seqlab.models.cells.base import CellFamily
from seqlab.registry import Registry

# (family, cell kwargs, rnn kwargs, use_cudnn) -> a Keras RNN layer
LayerBuilder = Callable[[CellFamily, dict[str, Any], dict[str, Any], Any], Any]


@dataclass(frozen=True)
class Implementation:
    """One way to run the recurrence.

    Attributes:
        name: the registry key (`impl=`).
        summary: one line for `--help` and the README.
        build: makes one recurrent layer from a cell family.
        needs_fused_layer: only cells with a fused Keras layer (LSTM, GRU,
            SimpleRNN) can use it; custom cells cannot.
        never_cudnn: why it never takes the cuDNN kernel; None when Keras decides.
        loop: wraps a cell (or a stack of cells) in this implementation's time loop;
            None for the fused layers, which take no cell.
        stacks_cells: steps all stacked cells inside one time loop, as the seeds do.
    """

    name: str
    summary: str
    build: LayerBuilder
    needs_fused_layer: bool
    never_cudnn: str | None
    loop: Callable[[Any, dict[str, Any]], Any] | None = None
    stacks_cells: bool = False


IMPLEMENTATIONS: Registry[Implementation] = Registry("impl", key="impl")


def _fused(family: CellFamily, cell_kw: dict, rnn_kw: dict, use_cudnn: Any, **extra):
    if family.has_cudnn_kernel:
        extra["use_cudnn"] = use_cudnn
    return family.layer_class()(**cell_kw, **rnn_kw, **extra)


def _unrolled(family: CellFamily, cell_kw: dict, rnn_kw: dict, use_cudnn: Any):
    return _fused(family, cell_kw, rnn_kw, False, unroll=True)


def _rnn_loop(cell: Any, rnn_kw: dict):
    import keras

    return keras.layers.RNN(cell, **rnn_kw)


def _manual_loop(cell: Any, rnn_kw: dict):
    from seqlab.models.manual_rnn import ManualRNN

    return ManualRNN(cell, **rnn_kw)


def _looped(loop: Callable[[Any, dict], Any]) -> LayerBuilder:
    """A layer builder that puts one new cell of the family into `loop`."""

    def build(family: CellFamily, cell_kw: dict, rnn_kw: dict, use_cudnn: Any):
        return loop(family.cell_class()(**cell_kw), rnn_kw)

    return build


for _impl in (
    Implementation(
        "layer",
        "the fused Keras layer (LSTM, GRU, SimpleRNN); cuDNN on a GPU when Keras allows it",
        _fused,
        needs_fused_layer=True,
        never_cudnn=None,
    ),
    Implementation(
        "cell_loop",
        "keras.layers.RNN(cell), the generic symbolic loop",
        _looped(_rnn_loop),
        needs_fused_layer=False,
        never_cudnn="impl=cell_loop (keras.layers.RNN never uses cuDNN)",
        loop=_rnn_loop,
    ),
    Implementation(
        "manual",
        "a Python loop over time steps calling the cells, as the seed tutorials do",
        _looped(_manual_loop),
        needs_fused_layer=False,
        never_cudnn="impl=manual (a Python loop over cells never uses cuDNN)",
        loop=_manual_loop,
        stacks_cells=True,
    ),
    Implementation(
        "unrolled",
        "the fused layer with unroll=True (the loop unrolled into the graph)",
        _unrolled,
        needs_fused_layer=True,
        never_cudnn="impl=unrolled (unroll=True)",
    ),
):
    IMPLEMENTATIONS.add(_impl.name, _impl)
