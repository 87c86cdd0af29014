"""Turn (input description, model config, impl) into a Keras model. Pure: no I/O, no timing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from seqlab.cells import cell_kwargs
from seqlab.cells.base import family_for
from seqlab.config import ModelConfig
from seqlab.cudnn import CudnnReport, cudnn_eligibility
from seqlab.errors import ConfigError
from seqlab.impls import IMPLEMENTATIONS


@dataclass(frozen=True)
class InputSpec:
    """What the model's input looks like; built from `SequenceData`."""

    timesteps: int
    features: int | None  # None for token ids
    vocab_size: int | None  # token ids in [0, vocab_size)
    mask_value: float | None = None
    mask_zero: bool = False
    mask_right_padded: bool | None = None  # None: no mask
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
            mask_right_padded=data.mask_right_padded,
            batch_size=batch_size,
        )


def cudnn_report(model: ModelConfig, impl: str, spec: InputSpec) -> CudnnReport:
    return cudnn_eligibility(
        family_for(model), model, impl, mask_right_padded=spec.mask_right_padded
    )


def check_task(model: ModelConfig, task: str) -> None:
    """Autoencoders go with dataset.target=reconstruction, and only they do."""
    autoencoder = model.arch != "rnn"
    if autoencoder != (task == "reconstruction"):
        raise ConfigError(
            f"model.arch={model.arch} cannot be trained on a {task} task. Reconstruction "
            "(dataset.target=reconstruction) needs model.arch=seq_autoencoder or "
            "dense_autoencoder; labels need model.arch=rnn."
        )


def check_supported(spec: InputSpec, model: ModelConfig, impl: str) -> CudnnReport:
    """Refuse combinations that would silently compute something else; return the cuDNN report."""
    if model.arch == "seq_autoencoder" and model.bidirectional:
        raise ConfigError(
            "model.arch=seq_autoencoder does not support model.bidirectional=true: the "
            "decoder starts from the encoder's final state of one direction. Set "
            "model.bidirectional=false."
        )
    if model.stateful:
        from seqlab.stateful import check_chunking

        check_chunking(model, spec.timesteps)
        if spec.batch_size is None:
            raise ValueError("a stateful model needs InputSpec.batch_size")
    report = cudnn_report(model, impl, spec)
    if model.use_cudnn == "true" and not report.eligible:
        raise ConfigError(
            "model.use_cudnn=true, but this configuration cannot use the cuDNN kernel: "
            + "; ".join(report.reasons)
            + ". Change those options, or set model.use_cudnn=auto to accept the generic kernel."
        )
    if impl == "unrolled" and model.bidirectional and spec.mask_right_padded is not None:
        # Keras's unrolled loop zeroes the backward layer's masked outputs at the
        # wrong (unreversed) time steps, so it disagrees with the other three
        # implementations (keras-team/keras#17596 is the same family of bug).
        raise ConfigError(
            "impl=unrolled with model.bidirectional=true on masked input computes wrong "
            "outputs in Keras (the backward layer's mask is applied in the wrong time "
            "order). Use impl=layer, impl=cell_loop or impl=manual, or turn off masking."
        )
    return report


def build_model(spec: InputSpec, model: ModelConfig, impl: str, output_units: int):
    """Build the functional model: input -> embedding/masking -> recurrent stack -> head.

    The head outputs logits (or raw values for regression); losses take
    `from_logits=True`, which is the numerically stable form of the seeds'
    sigmoid/softmax followed by cross-entropy.
    """
    import keras

    family = family_for(model)
    build_rnn = IMPLEMENTATIONS.get(impl)
    report = check_supported(spec, model, impl)
    # "auto" where Keras's rules allow cuDNN; False where they do not, so that Keras
    # never tries (it would fail at run time on a non-right-padded mask on a GPU).
    use_cudnn = {"true": True, "false": False}.get(model.use_cudnn, "auto")
    if not report.eligible:
        use_cudnn = False
    kwargs = cell_kwargs(family, model)
    if model.arch == "dense_autoencoder":
        return _dense_autoencoder(keras, spec, model)
    if model.arch == "seq_autoencoder":
        return _seq_autoencoder(keras, spec, model, impl, family, kwargs, build_rnn, use_cudnn)

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
    if impl == "manual" and one_loop:
        # The seeds step every stacked cell inside one time loop; a loop per layer
        # computes the same function but trained ~15 % slower on the CPU (measured
        # side by side), so the cells are stacked in one ManualRNN.
        x = _stacked_manual(keras, family, kwargs, x, model)
        return _finish(keras, x, inputs, model, impl, output_units)

    for index in range(model.layers):
        last = index == model.layers - 1
        rnn_kw = {
            "return_sequences": not last or model.readout.startswith("sequence"),
            "return_state": last and model.readout == "final_state",
            "stateful": model.stateful,
            "name": f"rnn_{index}",
        }
        rnn = build_rnn(family, kwargs, rnn_kw, use_cudnn)
        if model.bidirectional:
            rnn = keras.layers.Bidirectional(
                rnn, merge_mode=model.merge_mode, name=f"bidirectional_{index}"
            )
        x = rnn(x)
    x = _readout(keras, x, model, family.num_states)  # (batch, features of the last layer)
    return _finish(keras, x, inputs, model, impl, output_units)


def _stacked_manual(keras, family, cell_kwargs_: dict, x, model: ModelConfig):
    """All `model.layers` cells stepped together in one Python loop over time steps."""
    from seqlab.manual_rnn import ManualRNN

    cells = [family.cell_class()(**cell_kwargs_) for _ in range(model.layers)]
    rnn = ManualRNN(
        keras.layers.StackedRNNCells(cells, name="stacked_cells"),
        return_sequences=model.readout.startswith("sequence"),
        stateful=model.stateful,
        name="rnn_stack",
    )
    return _readout(keras, rnn(x), model, family.num_states)


def _finish(keras, x, inputs, model: ModelConfig, impl: str, output_units: int):
    """The head: optional batch norm, then a Dense layer of logits."""
    if model.batch_norm:
        x = keras.layers.BatchNormalization(name="batch_norm")(x)
    outputs = keras.layers.Dense(output_units, name="head")(x)
    return keras.Model(inputs, outputs, name=f"{model.cell}_{impl}")


def _readout(keras, x, model: ModelConfig, num_states: int):
    if model.readout == "sequence_last":
        # (batch, time, units) -> (batch, units): the last time step, padded or not.
        units = x.shape[-1]
        x = keras.layers.Cropping1D((x.shape[1] - 1, 0), name="last_step")(x)
        return keras.layers.Reshape((units,), name="squeeze_time")(x)
    if model.readout == "sequence_mean":
        return keras.layers.GlobalAveragePooling1D(name="mean_over_time")(x)
    if model.readout == "final_state":
        # [output, *states] (bidirectional: [output, *forward_states, *backward_states]);
        # the hidden state h comes first in each direction's states.
        if not model.bidirectional:
            return x[1]
        forward_h, backward_h = x[1], x[1 + num_states]
        merge = {
            "concat": keras.layers.Concatenate,
            "sum": keras.layers.Add,
            "mul": keras.layers.Multiply,
            "ave": keras.layers.Average,
        }[model.merge_mode]
        return merge(name="merge_final_states")([forward_h, backward_h])
    return x


def _dense_autoencoder(keras, spec: InputSpec, model: ModelConfig):
    """The seed's dense autoencoder: flatten, Dense(units...) down to the code, mirrored up."""
    layers = keras.layers
    size = spec.timesteps * spec.features
    inputs = keras.Input(shape=(spec.timesteps, spec.features), name="features")
    x = layers.Flatten(name="flatten")(inputs)  # (batch, time * features)
    *hidden, code = model.dense_units
    for i, units in enumerate(hidden):
        x = layers.Dense(units, activation="relu", name=f"encoder_{i}")(x)
    x = layers.Dense(code, name="code")(x)  # linear bottleneck, as in the seed
    for i, units in enumerate(reversed(hidden)):
        x = layers.Dense(units, activation="relu", name=f"decoder_{i}")(x)
    x = layers.Dense(size, name="pixel_logits")(x)
    outputs = layers.Reshape((spec.timesteps, spec.features), name="rows")(x)
    return keras.Model(inputs, outputs, name="dense_autoencoder")


def _seq_autoencoder(keras, spec, model: ModelConfig, impl, family, kwargs, build_rnn, use_cudnn):
    """Encoder RNN(s) read the rows; the last one's final states start a decoder RNN.

    The decoder's input at every step is the encoder's last output (a repeated code
    vector); its outputs go through a Dense layer to one logit per feature.
    """
    layers = keras.layers
    inputs = keras.Input(shape=(spec.timesteps, spec.features), name="features")
    x = inputs  # (batch, time, features)
    for index in range(model.layers):
        last = index == model.layers - 1
        rnn_kw = {"return_sequences": not last, "return_state": last, "name": f"encoder_{index}"}
        x = build_rnn(family, kwargs, rnn_kw, use_cudnn)(x)
    code, *states = x  # (batch, units) and the final state(s), each (batch, units)
    repeated = layers.RepeatVector(spec.timesteps, name="repeat_code")(code)
    decoder = build_rnn(family, kwargs, {"return_sequences": True, "name": "decoder"}, use_cudnn)
    x = decoder(repeated, initial_state=states)  # (batch, time, units)
    outputs = layers.Dense(spec.features, name="pixel_logits")(x)  # (batch, time, features)
    return keras.Model(inputs, outputs, name=f"{model.cell}_{impl}_seq_autoencoder")
