"""Every registry key builds with the expected shapes and weights."""

from __future__ import annotations

import numpy as np
import pytest

from seqlab.config import ModelConfig
from seqlab.errors import ConfigError
from seqlab.models.builder import InputSpec, build_model
from seqlab.models.cells import CELLS
from seqlab.models.impls import IMPLEMENTATIONS
from seqlab.registry import Registry

FEATURES = InputSpec(timesteps=5, features=3, vocab_size=None)
TOKENS = InputSpec(timesteps=6, features=None, vocab_size=50)


def rnn_weights(cell: str, inputs: int, units: int) -> int:
    """Trainable weights of one recurrent layer: gates * (units * (inputs + units) + bias),
    the gates as the cell's family declares them."""
    family = CELLS.get(cell)
    bias = units * (2 if "reset_after" in family.options else 1)  # reset_after: two biases
    return family.gates * (units * (inputs + units) + bias)


@pytest.mark.parametrize("impl", IMPLEMENTATIONS.names())
@pytest.mark.parametrize("cell", CELLS.names())
def test_every_cell_and_impl_builds_with_the_expected_weights(cell, impl):
    model = build_model(FEATURES, ModelConfig(cell=cell, units=4, layers=2), impl, output_units=7)
    out = model(np.zeros((2, 5, 3), "float32"))
    assert out.shape == (2, 7)
    expected = rnn_weights(cell, 3, 4) + rnn_weights(cell, 4, 4) + (4 * 7 + 7)
    assert sum(int(np.prod(w.shape)) for w in model.trainable_weights) == expected


def test_token_input_gets_an_embedding_and_bidirectional_doubles_the_width():
    cfg = ModelConfig(cell="gru", units=4, layers=1, embedding_dim=8, bidirectional=True)
    model = build_model(TOKENS, cfg, "layer", output_units=1)
    assert model.get_layer("embedding").output.shape == (None, 6, 8)
    assert model.get_layer("head").input.shape == (None, 8)
    sum_cfg = ModelConfig(cell="gru", units=4, layers=1, bidirectional=True, merge_mode="sum")
    assert build_model(TOKENS, sum_cfg, "layer", 1).get_layer("head").input.shape == (None, 4)


def test_readouts_have_the_expected_width():
    for readout in ("output", "final_state", "sequence_last", "sequence_mean"):
        cfg = ModelConfig(cell="lstm", units=3, layers=1, readout=readout)
        assert build_model(FEATURES, cfg, "manual", 2).get_layer("head").input.shape == (None, 3)


def test_registry_rejects_duplicates_and_lists_known_names():
    registry: Registry[int] = Registry("widget")
    registry.register("a")(1)
    with pytest.raises(ValueError, match="twice"):
        registry.register("a")(2)
    with pytest.raises(ConfigError, match=r"widget='b' is not allowed: .* one of a \(the known"):
        registry.get("b")


def test_manual_loop_draws_a_new_dropout_mask_every_forward_pass():
    """Keras 3 cells cache their dropout mask; a stale one would repeat (or leak a graph)."""
    import tensorflow as tf

    cfg = ModelConfig(cell="lstm", units=8, layers=1, dropout=0.5)
    model = build_model(FEATURES, cfg, "manual", output_units=1)
    x = np.ones((4, 5, 3), "float32")
    step = tf.function(lambda inputs: model(inputs, training=True))
    first, second = np.asarray(step(x)), np.asarray(step(x))
    assert not np.allclose(first, second)
    eager_a, eager_b = np.asarray(model(x, training=True)), np.asarray(model(x, training=True))
    assert not np.allclose(eager_a, eager_b)
    np.testing.assert_allclose(np.asarray(model(x)), np.asarray(model(x)))  # inference: none


def test_zero_states_follow_the_batch_size_of_the_input():
    model = build_model(TOKENS, ModelConfig(cell="gru", units=4), "manual", output_units=1)
    for batch in (1, 3, 17):
        assert model(np.ones((batch, 6), "int32")).shape == (batch, 1)


def test_manual_steps_stacked_cells_in_one_loop_like_the_seeds():
    import keras

    from seqlab.models.manual_rnn import ManualRNN

    spec = InputSpec(timesteps=5, features=3, vocab_size=None)
    model = build_model(spec, ModelConfig(cell="gru", units=4, layers=3), "manual", 2)
    loops = [layer for layer in model.layers if isinstance(layer, ManualRNN)]
    assert len(loops) == 1
    assert isinstance(loops[0].cell, keras.layers.StackedRNNCells)
    assert len(loops[0].cell.cells) == 3
