"""Turn (input description, model config, impl) into a Keras model. Pure: no I/O, no timing.

The config is validated before it gets here (`seqlab.config.validate`), so the builder
does not check anything; what it needs to decide (cuDNN or not) it is told.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from seqlab.models.cells import CellFamily, cell_kwargs, family_for
from seqlab.models.heads import READOUTS, needs_sequences
from seqlab.models.impls import IMPLEMENTATIONS, Implementation
from seqlab.registry import Registry
from seqlab.schema.options import ModelConfig


@dataclass(frozen=True)
class InputSpec:
    """What the model's input looks like; built from `SequenceData`."""

    timesteps: int
    features: int | None  # None for token ids
    vocab_size: int | None  # token ids in [0, vocab_size)
    mask_value: float | None = None
    mask_zero: bool = False
    # A fixed batch size, which stateful models need (their states are variables).
    batch_size: int | None = None

    @classmethod
    def of(cls, data: Any, batch_size: int | None = None) -> InputSpec:
        return cls(
            timesteps=data.timesteps,
            features=data.features,
            vocab_size=data.vocab_size,
            mask_value=data.mask_value,
            mask_zero=data.mask_zero,
            batch_size=batch_size,
        )


@dataclass(frozen=True)
class Parts:
    """Everything an architecture builder needs, resolved once."""

    keras: Any
    spec: InputSpec
    model: ModelConfig
    impl: Implementation
    family: CellFamily
    cell_kw: dict[str, Any]
    use_cudnn: Any  # "auto", True or False, as Keras's LSTM/GRU take it
    output_units: int

    def rnn(self, **rnn_kw: Any):
        """One recurrent layer of this implementation."""
        return self.impl.build(self.family, self.cell_kw, rnn_kw, self.use_cudnn)


# arch name -> (parts) -> keras.Model
ARCHS: Registry[Callable[[Parts], Any]] = Registry("arch", key="model.arch")


def build_model(
    spec: InputSpec,
    model: ModelConfig,
    impl: str,
    output_units: int,
    use_cudnn: Any = "auto",
):
    """Build the functional model for a validated config.

    The head outputs logits (or raw values for regression); losses take
    `from_logits=True`, which is the numerically stable form of the seeds'
    sigmoid/softmax followed by cross-entropy. `use_cudnn` is what the cuDNN report
    decided (`seqlab.models.cudnn`): False where Keras's rules rule the kernel out,
    so that Keras never tries it (it would fail at run time on a bad mask on a GPU).
    """
    import keras

    family = family_for(model)
    parts = Parts(
        keras,
        spec,
        model,
        IMPLEMENTATIONS.get(impl),
        family,
        cell_kwargs(model),
        use_cudnn,
        output_units,
    )
    return ARCHS.get(model.arch)(parts)


@ARCHS.register("rnn")
def _rnn(p: Parts):
    """Input -> embedding/masking -> recurrent stack -> readout -> head."""
    keras, model, spec = p.keras, p.model, p.spec
    # A stateful model reads one chunk at a time, with a batch size fixed at build time.
    steps = model.chunk_length if model.stateful else spec.timesteps
    batch = spec.batch_size if model.stateful else None
    if spec.vocab_size is not None:
        inputs = keras.Input(batch_shape=(batch, steps), dtype="int32", name="tokens")
        x = keras.layers.Embedding(
            spec.vocab_size, model.embedding_dim, mask_zero=spec.mask_zero, name="embedding"
        )(inputs)  # (batch, time, embedding_dim)
    else:
        inputs = keras.Input(batch_shape=(batch, steps, spec.features), name="features")
        x = inputs  # (batch, time, features)
        if spec.mask_value is not None:
            x = keras.layers.Masking(mask_value=spec.mask_value, name="masking")(x)

    one_loop = model.layers > 1 and not model.bidirectional and model.readout != "final_state"
    if p.impl.stacks_cells and one_loop:  # stacks_cells implies a loop
        # The seeds step every stacked cell inside one time loop; a loop per layer
        # computes the same function but trained ~15 % slower on the CPU (measured
        # side by side), so the cells are stacked in one loop.
        x = _stacked(p, x)
    else:
        for index in range(model.layers):
            last = index == model.layers - 1
            rnn = p.rnn(
                return_sequences=not last or needs_sequences(model.readout),
                return_state=last and model.readout == "final_state",
                stateful=model.stateful,
                name=f"rnn_{index}",
            )
            if model.bidirectional:
                rnn = keras.layers.Bidirectional(
                    rnn, merge_mode=model.merge_mode, name=f"bidirectional_{index}"
                )
            x = rnn(x)
    x = READOUTS.get(model.readout)(keras, x, model, p.family.num_states)  # (batch, features)
    if model.batch_norm:
        x = keras.layers.BatchNormalization(name="batch_norm")(x)
    outputs = keras.layers.Dense(p.output_units, name="head")(x)
    return keras.Model(inputs, outputs, name=f"{model.cell}_{p.impl.name}")


def _stacked(p: Parts, x):
    """All `model.layers` cells stepped together in one time loop."""
    keras, model = p.keras, p.model
    cells = [p.family.cell_class()(**p.cell_kw) for _ in range(model.layers)]
    stack = keras.layers.StackedRNNCells(cells, name="stacked_cells")
    rnn_kw = {
        "return_sequences": needs_sequences(model.readout),
        "stateful": model.stateful,
        "name": "rnn_stack",
    }
    return p.impl.loop(stack, rnn_kw)(x)


@ARCHS.register("dense_autoencoder")
def _dense_autoencoder(p: Parts):
    """The seed's dense autoencoder: flatten, Dense(units...) down to the code, mirrored up."""
    keras, spec, layers = p.keras, p.spec, p.keras.layers
    size = spec.timesteps * spec.features
    inputs = keras.Input(shape=(spec.timesteps, spec.features), name="features")
    x = layers.Flatten(name="flatten")(inputs)  # (batch, time * features)
    *hidden, code = p.model.dense_units
    for i, units in enumerate(hidden):
        x = layers.Dense(units, activation="relu", name=f"encoder_{i}")(x)
    x = layers.Dense(code, name="code")(x)  # linear bottleneck, as in the seed
    for i, units in enumerate(reversed(hidden)):
        x = layers.Dense(units, activation="relu", name=f"decoder_{i}")(x)
    x = layers.Dense(size, name="pixel_logits")(x)
    outputs = layers.Reshape((spec.timesteps, spec.features), name="rows")(x)
    return keras.Model(inputs, outputs, name="dense_autoencoder")


@ARCHS.register("seq_autoencoder")
def _seq_autoencoder(p: Parts):
    """Encoder RNN(s) read the rows; the last one's final states start a decoder RNN.

    The decoder's input at every step is the encoder's last output (a repeated code
    vector); its outputs go through a Dense layer to one logit per feature.
    """
    keras, spec, model = p.keras, p.spec, p.model
    inputs = keras.Input(shape=(spec.timesteps, spec.features), name="features")
    x = inputs  # (batch, time, features)
    for index in range(model.layers):
        last = index == model.layers - 1
        x = p.rnn(return_sequences=not last, return_state=last, name=f"encoder_{index}")(x)
    code, *states = x  # (batch, units) and the final state(s), each (batch, units)
    repeated = keras.layers.RepeatVector(spec.timesteps, name="repeat_code")(code)
    x = p.rnn(return_sequences=True, name="decoder")(repeated, initial_state=states)
    outputs = keras.layers.Dense(spec.features, name="pixel_logits")(x)  # (batch, time, features)
    return keras.Model(inputs, outputs, name=f"{model.cell}_{p.impl.name}_seq_autoencoder")
