"""Gated recurrent unit (Cho et al. 2014); `reset_after` picks the cuDNN-compatible variant."""

from seqlab.models.cells.base import CellFamily, register_cell


def _cell() -> type:
    from keras.layers import GRUCell

    return GRUCell


def _layer() -> type:
    from keras.layers import GRU

    return GRU


GRU_FAMILY = register_cell(
    CellFamily(
        "gru",
        _cell,
        _layer,
        num_states=1,
        gates=3,
        cudnn_kernel="gru",
        options=frozenset({"recurrent_activation", "reset_after"}),
    )
)
