"""The `manual` implementation: a Python loop over time steps that calls the cell.

This is how the seed tutorials step their cells by hand. It subclasses
`keras.layers.RNN` only for the plumbing around the loop (initial zero states sized
from the input's batch, dropout masks reset once per forward pass, return_state,
masking, serialization and `Bidirectional` support); the loop itself is below.
"""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="seqlab")
class ManualRNN(keras.layers.RNN):
    """`RNN(cell)` whose recurrence is a visible Python `for` loop over time steps."""

    def __init__(self, cell, **kwargs):
        kwargs.pop("unroll", None)  # the loop is always unrolled into the graph
        super().__init__(cell, unroll=False, **kwargs)

    def inner_loop(self, sequences, initial_state, mask, training=False):
        timesteps = sequences.shape[1]
        if timesteps is None:
            raise ValueError(
                "impl=manual needs a fixed number of time steps; the input has a "
                "variable length. Pad the sequences to a fixed length."
            )
        # unstack, not sequences[:, t]: the gradient of T strided slices is T dense
        # full-size tensors, which made the loop ~1.8x slower than the seeds' own.
        steps = ops.unstack(sequences, axis=1)  # T x (batch, features)
        step_masks = ops.unstack(mask, axis=1) if mask is not None else [None] * timesteps
        order = range(timesteps - 1, -1, -1) if self.go_backwards else range(timesteps)
        states = list(initial_state)
        previous = None
        outputs = []
        for t in order:
            # (batch, features) -> (batch, units), new states of (batch, units)
            output, new_states = self.cell(steps[t], states, training=training)
            new_states = list(new_states) if isinstance(new_states, list | tuple) else [new_states]
            if mask is not None:
                # Masked steps keep the previous output and states, as keras.layers.RNN does.
                step_mask = ops.expand_dims(ops.cast(step_masks[t], "bool"), -1)
                if previous is None:
                    previous = ops.zeros_like(output)
                output = ops.where(step_mask, output, previous)
                # map_structure: stacked cells carry one list of states per cell.
                new_states = keras.tree.map_structure(
                    lambda n, s, m=step_mask: ops.where(m, n, s), new_states, states
                )
                previous = output
            states = new_states
            if self.return_sequences:
                outputs.append(output)
        last_output = output
        if not self.return_sequences:
            return last_output, ops.expand_dims(last_output, 1), states
        sequence = ops.stack(outputs, axis=1)  # (batch, time, units), in loop order
        if mask is not None and self.zero_output_for_mask:
            time_mask = mask[:, ::-1] if self.go_backwards else mask
            sequence = ops.where(ops.expand_dims(ops.cast(time_mask, "bool"), -1), sequence, 0.0)
            last_mask = ops.expand_dims(ops.cast(time_mask[:, -1], "bool"), -1)
            last_output = ops.where(last_mask, last_output, 0.0)
        return last_output, sequence, states
