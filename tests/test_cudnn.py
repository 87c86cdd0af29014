"""The cuDNN prediction agrees with what Keras does; the detector reads the traced step."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from seqlab.config import ModelConfig
from seqlab.models.builder import InputSpec, build_model
from seqlab.models.cells import CELLS
from seqlab.models.cudnn import CudnnReport, cudnn_eligibility, detect, mask_reasons

TF_RNN = importlib.import_module("keras.src.backend.tensorflow.rnn")
VARIANTS = [
    {},
    {"activation": "relu"},
    {"recurrent_activation": "hard_sigmoid"},
    {"use_bias": False},
    {"recurrent_dropout": 0.2},
    {"use_cudnn": "false"},
]


@pytest.fixture
def keras_tries_cudnn(monkeypatch):
    """Pretend a GPU is there and record when Keras hands a layer to its cuDNN kernel.

    The spy then raises NotImplementedError, which is how Keras learns that the kernel
    is unavailable, so the layer falls back to its generic loop and still runs here.
    """
    calls = []

    def spy(*args, **kwargs):
        calls.append(True)
        raise NotImplementedError

    monkeypatch.setattr(TF_RNN, "_is_gpu_available", lambda: True)
    monkeypatch.setattr(TF_RNN, "_cudnn_lstm", spy)
    monkeypatch.setattr(TF_RNN, "_cudnn_gru", spy)
    return calls


@pytest.mark.parametrize("impl", ["layer", "unrolled", "cell_loop", "manual"])
@pytest.mark.parametrize("variant", [*VARIANTS, {"reset_after": False}], ids=str)
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_the_prediction_agrees_with_what_keras_does(cell, variant, impl, keras_tries_cudnn):
    if "reset_after" in variant and cell != "gru":
        pytest.skip("reset_after is a GRU option")
    model_cfg = ModelConfig(cell=cell, units=3, layers=1, **variant)
    report = cudnn_eligibility(CELLS.get(cell), model_cfg, impl)
    # Build as Keras would be asked without seqlab's decision ("auto" unless the user
    # said false), and let it run one training-mode forward pass.
    asked = False if model_cfg.use_cudnn == "false" else "auto"
    model = build_model(InputSpec(4, 2, None), model_cfg, impl, 1, use_cudnn=asked)
    model(np.ones((2, 4, 2), "float32"), training=True)
    assert bool(keras_tries_cudnn) == report.eligible, report.reasons


def test_the_reasons_name_what_keras_refuses():
    report = cudnn_eligibility(
        CELLS.get("gru"), ModelConfig(cell="gru", activation="relu", reset_after=False), "layer"
    )
    assert not report.eligible
    assert report.reasons == [
        "activation=relu (Keras's cuDNN check refuses it)",
        "reset_after=False (Keras's cuDNN check refuses it)",
    ]
    assert (
        "no cuDNN kernel"
        in cudnn_eligibility(
            CELLS.get("simple_rnn"), ModelConfig(cell="simple_rnn"), "layer"
        ).reasons[0]
    )


def test_mask_reasons_are_keras_own_checks():
    post = np.array([[1, 1, 0], [1, 0, 0]], bool)
    pre = post[:, ::-1]
    assert mask_reasons([post], None) == []
    assert "right-padded" in mask_reasons([pre], None)[0]
    # Keras's cuDNN path itself refuses the same masks at run time.
    import tensorflow as tf

    TF_RNN._assert_valid_mask(tf.constant(post))
    with pytest.raises(tf.errors.InvalidArgumentError):
        TF_RNN._assert_valid_mask(tf.constant(pre))


def test_stateful_chunks_of_padded_sequences_are_checked_chunk_by_chunk():
    # Every sequence has a real first step, so the whole sequences are fine; but its
    # second chunk of 2 steps is all padding, which cuDNN rejects at run time.
    masks = [np.array([[1, 1, 0, 0], [1, 1, 1, 0]], bool)]
    assert mask_reasons(masks, None) == []
    assert mask_reasons(masks, 2) == ["a fully masked chunk (cuDNN rejects it at run time)"]
    model_cfg = ModelConfig(cell="lstm", stateful=True, chunk_length=2)
    report = cudnn_eligibility(CELLS.get("lstm"), model_cfg, "layer", masks)
    assert not report.eligible and report.use_cudnn is False


def test_the_tensorflow_detector_reads_the_traced_step_and_says_generic_on_the_cpu():
    import keras

    from seqlab.backends.tensorflow import traced_op_types

    model = build_model(InputSpec(4, 2, None), ModelConfig(cell="lstm", units=3), "layer", 1)
    model.compile(optimizer="adam", loss="mse")
    report = CudnnReport(eligible=True, gpu_present=False)
    assert report.kernel == "predicted: generic"  # nothing traced yet
    model.fit(np.ones((8, 4, 2)), np.ones((8, 1)), epochs=1, verbose=0)
    ops = traced_op_types(model)
    assert {"MatMul", "While"} <= ops  # the walker reaches the loop inside the step
    detect(model, report)
    assert report.detected == "generic" and report.kernel == "generic"
    eager = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    eager.compile(optimizer="adam", loss="mse", run_eagerly=True)
    eager.fit(np.ones((4, 2)), np.ones((4, 1)), verbose=0)
    unknown = CudnnReport(eligible=True, gpu_present=True)
    detect(eager, unknown)
    assert unknown.kernel == "predicted: cudnn"  # nothing traced to look at


def test_the_detector_says_cudnn_when_the_step_holds_the_cudnn_op():
    from seqlab.backends.tensorflow import kernel_from_ops

    assert kernel_from_ops({"MatMul", "CudnnRNNV3", "While"}) == "cudnn"
    assert kernel_from_ops({"MatMul", "While"}) == "generic"
