"""A user's cell from configuration alone; the shipped IndRNN cell against NumPy."""

from __future__ import annotations

import numpy as np
import pytest

from seqlab.config import ModelConfig, validate
from seqlab.errors import ConfigError
from seqlab.models.builder import InputSpec, build_model
from seqlab.runs.experiment import run_experiment


def test_indrnn_cell_matches_a_numpy_reference_over_several_steps():
    import keras

    from seqlab.examples.indrnn import IndRNNCell

    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 5, 4)).astype("float32")  # (batch, time, features)
    layer = keras.layers.RNN(IndRNNCell(6), return_sequences=True)
    outputs = np.asarray(layer(x))
    kernel, recurrent, bias = (np.asarray(w) for w in layer.cell.weights)
    assert recurrent.shape == (6,)  # a vector: each unit sees only its own past
    h = np.zeros((3, 6), "float32")
    for t in range(5):
        h = np.tanh(x[:, t] @ kernel + recurrent * h + bias)
        np.testing.assert_allclose(outputs[:, t], h, atol=1e-5)


def test_indrnn_recurrent_weights_stay_clipped_after_training():
    import keras

    from seqlab.examples.indrnn import IndRNNCell

    model = keras.Sequential(
        [
            keras.Input((4, 2)),
            keras.layers.RNN(IndRNNCell(3, recurrent_max=0.5)),
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer=keras.optimizers.SGD(10.0), loss="mse")
    model.fit(np.ones((8, 4, 2)), np.full((8, 1), 100.0), epochs=2, verbose=0)
    assert np.abs(np.asarray(model.layers[0].cell.recurrent_kernel)).max() <= 0.5 + 1e-6


@pytest.mark.parametrize("impl", ["cell_loop", "manual"])
def test_custom_cell_runs_from_configuration_alone(compose_cfg, tmp_path, impl):
    overrides = ["model=indrnn", f"impl={impl}", "trainer=smoke", "trainer.progress=false"]
    results = run_experiment(compose_cfg(*overrides), tmp_path, overrides)
    assert results["status"] == "ok", results["error"]
    assert results["cudnn"]["eligible"] is False
    assert (tmp_path / "model.keras").exists()


def test_custom_cell_is_built_from_its_target_and_options():
    spec = InputSpec(timesteps=4, features=3, vocab_size=None)
    model_cfg = ModelConfig(
        cell="custom",
        units=5,
        layers=1,
        custom_cell={"_target_": "seqlab.examples.indrnn.IndRNNCell", "activation": "relu"},
    )
    model = build_model(spec, model_cfg, "cell_loop", 2)
    cell = model.get_layer("rnn_0").cell
    assert type(cell).__name__ == "IndRNNCell" and cell.units == 5
    assert cell.activation.__name__ == "relu"
    # Same weights, same function in the manual loop.
    manual = build_model(spec, model_cfg, "manual", 2)
    manual.set_weights(model.get_weights())
    x = np.random.default_rng(1).normal(size=(2, 4, 3)).astype("float32")
    np.testing.assert_allclose(np.asarray(manual(x)), np.asarray(model(x)), atol=1e-5)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["model=indrnn", "impl=layer"], "impl=layer needs a fused Keras layer"),
        (["model=indrnn", "impl=unrolled"], "impl=unrolled needs a fused Keras layer"),
        (["model.cell=custom"], r"model\.custom_cell\._target_"),
    ],
)
def test_custom_cell_config_errors_say_what_to_do(compose_cfg, overrides, message):
    with pytest.raises(ConfigError, match=message):
        validate(compose_cfg(*overrides))


def test_a_custom_cell_that_cannot_be_imported_is_a_config_error():
    from seqlab.models.cells import family_for

    with pytest.raises(ConfigError, match="could not be imported"):
        family_for(ModelConfig(cell="custom", custom_cell={"_target_": "no.such.Cell"}))
