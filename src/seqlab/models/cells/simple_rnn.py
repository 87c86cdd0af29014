"""The fully connected recurrent cell: h_t = activation(x_t W + h_{t-1} U + b)."""

from seqlab.models.cells.base import CellFamily, register_cell


def _cell() -> type:
    from keras.layers import SimpleRNNCell

    return SimpleRNNCell


def _layer() -> type:
    from keras.layers import SimpleRNN

    return SimpleRNN


SIMPLE_RNN = register_cell(CellFamily("simple_rnn", _cell, _layer, num_states=1, gates=1))
