"""What sits after the recurrent layers: readouts and merge modes, each a registry.

A readout turns the recurrent stack's output into one vector per example; the merge
modes say how a bidirectional layer joins its two directions. Keras is passed in,
so importing this module stays free of TensorFlow.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from seqlab.registry import Registry
from seqlab.schema.options import ModelConfig

# merge_mode -> the Keras layer that merges two tensors the same way Bidirectional does
MERGE_MODES: Registry[str] = Registry("merge mode", key="model.merge_mode")
for _mode, _layer in (("concat", "Concatenate"), ("sum", "Add"), ("mul", "Multiply")):
    MERGE_MODES.add(_mode, _layer)
MERGE_MODES.add("ave", "Average")

# (keras, output of the last recurrent layer, model config, states per direction) -> vector
Readout = Callable[[Any, Any, ModelConfig, int], Any]
READOUTS: Registry[Readout] = Registry("readout", key="model.readout")


@READOUTS.register("output")
def _last_output(keras, x, model: ModelConfig, num_states: int):
    return x  # the layer already returns its last output, (batch, units)


@READOUTS.register("final_state")
def _final_state(keras, x, model: ModelConfig, num_states: int):
    # [output, *states] (bidirectional: [output, *forward_states, *backward_states]);
    # the hidden state h comes first in each direction's states.
    if not model.bidirectional:
        return x[1]
    forward_h, backward_h = x[1], x[1 + num_states]
    merge = getattr(keras.layers, MERGE_MODES.get(model.merge_mode))
    return merge(name="merge_final_states")([forward_h, backward_h])


@READOUTS.register("sequence_last")
def _sequence_last(keras, x, model: ModelConfig, num_states: int):
    # (batch, time, units) -> (batch, units): each sequence's last valid step. Not the
    # last step itself: a bidirectional layer zeroes the outputs of padded steps, so on
    # post-padded data the last step of every shorter sequence reads exactly zero.
    from seqlab.models.last_step import LastValidStep

    return LastValidStep(name="last_step")(x)


@READOUTS.register("sequence_mean")
def _sequence_mean(keras, x, model: ModelConfig, num_states: int):
    return keras.layers.GlobalAveragePooling1D(name="mean_over_time")(x)


def needs_sequences(readout: str) -> bool:
    """Whether the last recurrent layer must return its whole output sequence."""
    return readout.startswith("sequence")
