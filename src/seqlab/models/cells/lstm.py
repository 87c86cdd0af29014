"""Long short-term memory (Hochreiter & Schmidhuber 1997): states h and c."""

from seqlab.models.cells.base import CellFamily, register_cell


def _cell() -> type:
    from keras.layers import LSTMCell

    return LSTMCell


def _layer() -> type:
    from keras.layers import LSTM

    return LSTM


LSTM_FAMILY = register_cell(
    CellFamily(
        "lstm",
        _cell,
        _layer,
        num_states=2,
        gates=4,
        cudnn_kernel="lstm",
        options=frozenset({"recurrent_activation"}),
    )
)
