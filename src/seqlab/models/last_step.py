"""The `sequence_last` readout's layer: each sequence's output at its last valid step."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="seqlab")
class LastValidStep(keras.layers.Layer):
    """(batch, time, units) -> (batch, units): the output at the last step the mask keeps.

    Without a mask (or with pre-padding) that is the last time step. With post-padded
    masked data it is the last real step: Keras's `Bidirectional` zeroes the outputs of
    masked steps (`zero_output_for_mask`), so the last step itself would be zero for every
    sequence shorter than the padding. A fully masked sequence reads its step 0.
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return inputs[:, -1]  # (batch, units)
        steps = ops.arange(ops.shape(inputs)[1])  # (time,)
        kept = ops.where(ops.cast(mask, "bool"), steps[None, :], -1)  # (batch, time)
        last = ops.maximum(ops.max(kept, axis=1), 0)  # (batch,)
        picked = ops.take_along_axis(inputs, ops.reshape(last, (-1, 1, 1)), axis=1)
        return picked[:, 0]  # (batch, units)

    def compute_mask(self, inputs, mask=None):
        return None  # one vector per sequence: nothing left to mask

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2])
