"""Bad input ends in one clear sentence and a non-zero exit, never a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from seqlab.config import validate
from seqlab.errors import ConfigError

from .conftest import run_cli


def test_defaults_compose_to_the_documented_run(compose_cfg):
    cfg = validate(compose_cfg())
    assert cfg.dataset.name == "digits"
    assert (cfg.model.cell, cfg.model.units, cfg.model.layers) == ("lstm", 64, 2)
    assert (cfg.impl.name, cfg.device.name) == ("layer", "auto")


def test_imdb_gets_the_seeds_dropout_unless_overridden(compose_cfg):
    assert validate(compose_cfg("dataset=imdb")).model.dropout == 0.5
    assert validate(compose_cfg("dataset=imdb", "model.dropout=0.1")).model.dropout == 0.1
    assert validate(compose_cfg("dataset=imdb", "model=gru")).model.dropout == 0.5


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("model.units=0", "model.units"),
        ("model.layers=0", "model.layers"),
        ("model.dropout=1.5", "model.dropout"),
        ("model.recurrent_dropout=-0.1", "model.recurrent_dropout"),
        ("model.merge_mode=max", "model.merge_mode"),
        ("model.use_cudnn=maybe", "model.use_cudnn"),
        ("model.readout=first", "model.readout"),
        ("trainer.epochs=0", "trainer.epochs"),
        ("trainer.batch_size=0", "trainer.batch_size"),
        ("trainer.lr=0", "trainer.lr"),
        ("trainer.optimizer=adamax", "trainer.optimizer"),
        ("trainer.steps_per_epoch=0", "trainer.steps_per_epoch"),
        ("trainer.warmup_steps=-1", "trainer.warmup_steps"),
        ("dataset.limit=0", "dataset.limit"),
        ("dataset.val_fraction=1.0", "dataset.val_fraction"),
        ("dataset.validation=train", "dataset.validation"),
        ("dataset=imdb dataset.maxlen=0", "dataset.maxlen"),
        ("dataset=imdb dataset.padding=middle", "dataset.padding"),
        ("dataset=adding dataset.length=1", "dataset.length"),
        ("dataset=toy_sequences dataset.max_length=3", "dataset.max_length"),
    ],
)
def test_out_of_range_values_name_the_key_and_what_is_allowed(compose_cfg, override, key):
    with pytest.raises(ConfigError) as info:
        validate(compose_cfg(*override.split()))
    message = str(info.value)
    assert message.startswith(f"{key}=")
    assert "must be" in message
    assert "\n" not in message


@pytest.mark.e2e
def test_bad_value_on_the_command_line_exits_2_with_one_paragraph(tmp_path):
    result = run_cli("model.units=0", cwd=tmp_path)
    assert result.returncode == 2
    said = "model.units=0 is not allowed: model.units must be an integer from 1 to 16384"
    assert said in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "outputs").exists()  # a refused config leaves no folder


@pytest.mark.e2e
def test_an_invalid_cross_group_config_fails_first_without_tensorflow_or_folder(tmp_path):
    code = (
        "import sys; sys.argv = ['seqlab', 'model=indrnn', 'impl=layer', 'dataset=imdb',"
        " 'dataset.path=/nonexistent']\n"
        "from seqlab.cli.main import main\n"
        "try:\n    main()\nexcept SystemExit as exit:\n    print('EXIT', exit.code)\n"
        "print('TF_IMPORTED' if 'tensorflow' in sys.modules else 'TF_NOT_IMPORTED')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert "EXIT 2" in out.stdout and "TF_NOT_IMPORTED" in out.stdout
    assert "impl=layer needs a fused Keras layer" in out.stderr
    assert "/nonexistent" not in out.stderr and "Traceback" not in out.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.e2e
def test_unknown_group_option_lists_the_known_ones(tmp_path):
    result = run_cli("model=transformer", cwd=tmp_path)
    assert result.returncode != 0
    assert "Could not find 'model/transformer'" in result.stderr
    for known in ("gru", "lstm", "simple_rnn"):
        assert known in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.e2e
def test_wrong_type_and_unknown_key_are_rejected_by_the_schema(tmp_path):
    wrong_type = run_cli("model.units=many", cwd=tmp_path)
    assert wrong_type.returncode != 0
    assert "model.units" in wrong_type.stderr and "Traceback" not in wrong_type.stderr
    unknown = run_cli("model.unitz=3", cwd=tmp_path)
    assert unknown.returncode != 0
    assert "Key 'unitz' not in 'ModelConfig'" in unknown.stderr


def test_option_a_cell_does_not_have_is_refused(compose_cfg):
    with pytest.raises(ConfigError, match=r"reset_after=False does not apply to model\.cell"):
        validate(compose_cfg("model=simple_rnn", "model.reset_after=false"))
    assert validate(compose_cfg("model=gru", "model.reset_after=false")).model.reset_after is False


def test_smoke_caps_the_length_a_preset_sets(compose_cfg):
    cfg = validate(compose_cfg("+experiment=mnist_lstm_rows", "trainer=smoke"))
    assert (cfg.trainer.epochs, cfg.trainer.steps_per_epoch) == (1, 3)
    assert cfg.trainer.batch_size == 32 and cfg.model.units == 32  # the preset's own
    assert validate(compose_cfg("+experiment=mnist_lstm_rows")).trainer.steps_per_epoch == 1000


@pytest.mark.parametrize("override", ["+model.unitz=8", "+trainer.epoch=1", "+foo=3"])
def test_the_schema_is_closed_to_keys_added_with_plus(compose_cfg, override):
    with pytest.raises(ConfigError, match="Unknown option"):
        validate(compose_cfg(override))


def test_a_custom_cells_own_options_are_still_open(compose_cfg):
    cfg = validate(compose_cfg("model=indrnn", "impl=cell_loop", "+model.custom_cell.foo=1"))
    assert cfg.model.custom_cell["foo"] == 1


def test_smoke_does_not_hide_an_invalid_value(compose_cfg):
    with pytest.raises(ConfigError, match=r"trainer\.steps_per_epoch=0"):
        validate(compose_cfg("trainer=smoke", "trainer.steps_per_epoch=0"))


def test_use_cudnn_true_without_a_gpu_is_seqlabs_own_message(compose_cfg, tmp_path):
    from seqlab.runs.experiment import run_experiment

    overrides = ["trainer=smoke", "trainer.progress=false", "model.use_cudnn=true"]
    results = run_experiment(compose_cfg(*overrides), tmp_path, overrides)
    assert results["status"] == "failed" and results["error_type"] == "ConfigError"
    assert "model.use_cudnn=true, but the cuDNN kernel cannot run here" in results["error"]
    assert "no GPU is in use" in results["error"] and "\x1b" not in results["error"]
    overrides.append("model.recurrent_dropout=0.2")
    results = run_experiment(compose_cfg(*overrides), tmp_path / "b", overrides)
    assert "recurrent_dropout > 0" in results["error"]


@pytest.mark.parametrize(
    "override",
    ["trainer.precision=Mixed_Float16", "dataset.validation=TEST", "dataset.target=Label"],
)
def test_a_choice_in_another_case_is_refused_not_run_as_something_else(compose_cfg, override):
    """Checked in lower case and used as written, these gave a traceback, validated on a
    split, or trained a classifier while the record said reconstruction."""
    key = override.split("=")[0]
    with pytest.raises(ConfigError, match=key):
        validate(compose_cfg(override))
    assert validate(compose_cfg(override.lower())) is not None  # as documented: accepted
    assert validate(compose_cfg("trainer.jit_compile=true")).trainer.jit_compile == "true"
