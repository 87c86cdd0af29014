"""What a person watching sees: a line per epoch, a bar that fits 80 columns, the summary."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from seqlab.runs.experiment import run_experiment
from seqlab.training.progress import RichProgress

SMOKE = ("trainer=smoke", "model.units=4")


@pytest.mark.e2e  # a whole training run: kept out of the fast tier
def test_progress_false_prints_one_plain_line_per_epoch_and_the_summary(
    compose_cfg, tmp_path, capsys
):
    overrides = [*SMOKE, "trainer.progress=false", "trainer.epochs=2"]
    console = Console(file=io.StringIO(), width=120)
    results = run_experiment(compose_cfg(*overrides), tmp_path, overrides, console=console)
    assert results["status"] == "ok", results["error"]
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("epoch")]
    assert [line.split()[1] for line in lines] == ["1/2", "2/2"]
    for line in lines:
        for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
            assert f" {key} " in line
        assert line.endswith(" s")
    assert "steady step" in console.file.getvalue()  # the final summary


def test_the_rich_bar_fits_80_columns_without_cutting_the_step_counter():
    out = io.StringIO()
    console = Console(file=out, width=80, force_terminal=True, color_system=None)
    bar = RichProgress(console, epochs=20, steps_per_epoch=1234, metric="accuracy")
    bar.REFRESH_S = 0.0  # draw on every batch
    bar.on_train_begin()
    bar.on_epoch_begin(19)
    for step in range(1234):
        bar.on_train_batch_end(step, {"loss": 0.123456, "accuracy": 0.987654})
    bar.on_epoch_end(19, {"loss": 0.12, "accuracy": 0.98, "val_accuracy": 0.97})
    bar.on_train_end()
    text = out.getvalue()
    assert "1234/1234" in text and "ms/step" in text
    assert "…" not in text  # rich's mark of a cut column
    assert "epoch 20/20  loss 0.1200  accuracy 0.9800  val_accuracy 0.9700" in text


def test_an_epoch_line_under_the_interleaving_launcher_says_its_waits_apart(capsys):
    """A job that computed 1 s of an epoch and waited 3 s for its turns printed "4.0 s"."""
    import time
    from types import SimpleNamespace

    from seqlab.training.progress import PlainProgress

    gate = SimpleNamespace(waited_s=2.0)  # waits before this epoch are not its own
    line = PlainProgress(epochs=3, metric="accuracy", gate=gate)
    line.on_epoch_begin(1)
    line._start -= 4.0  # four seconds went by...
    gate.waited_s += 3.0  # ...three of them waiting for turns
    line.on_epoch_end(1, {"loss": 0.5})
    out = capsys.readouterr().out.strip()
    assert out.startswith("epoch 2/3  loss 0.5000  1.0 s") and out.endswith(
        "(+3.0 s waiting for turns)"
    ), out
    alone = PlainProgress(epochs=3, metric="accuracy")  # no gate: the epoch's time
    alone.on_epoch_begin(0)
    time.sleep(0.01)
    alone.on_epoch_end(0, {})
    assert capsys.readouterr().out.strip() == "epoch 1/3  0.0 s"
