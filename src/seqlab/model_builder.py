"""Turn (input description, model config, impl) into a Keras model. Pure: no I/O, no timing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from seqlab.cells import CELLS, cell_kwargs
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

    @classmethod
    def of(cls, data: Any) -> InputSpec:
        return cls(
            timesteps=data.timesteps,
            features=data.features,
            vocab_size=data.vocab_size,
            mask_value=data.mask_value,
            mask_zero=data.mask_zero,
            mask_right_padded=data.mask_right_padded,
        )


def cudnn_report(model: ModelConfig, impl: str, spec: InputSpec) -> CudnnReport:
    return cudnn_eligibility(
        CELLS.get(model.cell), model, impl, mask_right_padded=spec.mask_right_padded
    )


def check_supported(spec: InputSpec, model: ModelConfig, impl: str) -> CudnnReport:
    """Refuse combinations that would silently compute something else; return the cuDNN report."""
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

    family = CELLS.get(model.cell)
    build_rnn = IMPLEMENTATIONS.get(impl)
    report = check_supported(spec, model, impl)
    # "auto" where Keras's rules allow cuDNN; False where they do not, so that Keras
    # never tries (it would fail at run time on a non-right-padded mask on a GPU).
    use_cudnn = {"true": True, "false": False}.get(model.use_cudnn, "auto")
    if not report.eligible:
        use_cudnn = False
    kwargs = cell_kwargs(family, model)

    if spec.vocab_size is not None:
        inputs = keras.Input(shape=(spec.timesteps,), dtype="int32", name="tokens")
        x = keras.layers.Embedding(
            spec.vocab_size, model.embedding_dim, mask_zero=spec.mask_zero, name="embedding"
        )(inputs)  # (batch, time, embedding_dim)
    else:
        inputs = keras.Input(shape=(spec.timesteps, spec.features), name="features")
        x = inputs  # (batch, time, features)
        if spec.mask_value is not None:
            x = keras.layers.Masking(mask_value=spec.mask_value, name="masking")(x)

    for index in range(model.layers):
        last = index == model.layers - 1
        rnn_kw = {
            "return_sequences": not last or model.readout.startswith("sequence"),
            "return_state": last and model.readout == "final_state",
            "name": f"rnn_{index}",
        }
        rnn = build_rnn(family, kwargs, rnn_kw, use_cudnn)
        if model.bidirectional:
            rnn = keras.layers.Bidirectional(
                rnn, merge_mode=model.merge_mode, name=f"bidirectional_{index}"
            )
        x = rnn(x)
    x = _readout(keras, x, model, family.num_states)  # (batch, features of the last layer)

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
