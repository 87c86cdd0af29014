"""IndRNN (Li et al. 2018, "Independently Recurrent Neural Network").

Each unit sees only its own previous state: h_t = act(W x_t + u * h_{t-1} + b),
with a recurrent weight *vector* u instead of a matrix. A minimal Keras 3 cell that
runs in `keras.layers.RNN` (impl=cell_loop) and in seqlab's manual loop.
"""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="seqlab")
class ClipValue(keras.constraints.Constraint):
    """Keeps every weight in [-limit, limit] after each optimizer step."""

    def __init__(self, limit: float) -> None:
        self.limit = limit

    def __call__(self, w):
        return ops.clip(w, -self.limit, self.limit)

    def get_config(self):
        return {"limit": self.limit}


@keras.saving.register_keras_serializable(package="seqlab")
class IndRNNCell(keras.layers.Layer):
    """One IndRNN step: (batch, features), [(batch, units)] -> (batch, units), [(batch, units)].

    Args:
        units: width of the state.
        activation: the nonlinearity (the paper uses relu; tanh is the default here
            because it is stable without gradient clipping on short runs).
        recurrent_max: |u| is clipped to this after initialisation so that the
            state neither explodes nor vanishes over long sequences (the paper's
            constraint); None leaves u unconstrained.
    """

    def __init__(
        self,
        units: int,
        activation: str = "tanh",
        recurrent_max: float | None = 1.0,
        use_bias: bool = True,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)
        self.recurrent_max = recurrent_max
        self.use_bias = use_bias
        self.state_size = units
        self.output_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(
            shape=(input_shape[-1], self.units), initializer="glorot_uniform", name="kernel"
        )
        low = -self.recurrent_max if self.recurrent_max else -1.0
        high = self.recurrent_max if self.recurrent_max else 1.0
        self.recurrent_kernel = self.add_weight(
            shape=(self.units,),
            initializer=keras.initializers.RandomUniform(low, high),
            constraint=ClipValue(self.recurrent_max) if self.recurrent_max else None,
            name="recurrent_kernel",
        )
        self.bias = (
            self.add_weight(shape=(self.units,), initializer="zeros", name="bias")
            if self.use_bias
            else None
        )

    def call(self, inputs, states, training=False):
        previous = states[0] if isinstance(states, list | tuple) else states
        z = ops.matmul(inputs, self.kernel) + self.recurrent_kernel * previous
        if self.bias is not None:
            z = z + self.bias
        h = self.activation(z)
        return h, [h]

    def get_initial_state(self, batch_size=None):
        return [ops.zeros((batch_size, self.units), dtype=self.compute_dtype)]

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": keras.activations.serialize(self.activation),
            "recurrent_max": self.recurrent_max,
            "use_bias": self.use_bias,
        }
