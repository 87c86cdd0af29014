"""What the user watches: a rich progress bar per epoch and a short summary at the end."""

from __future__ import annotations

import time

import keras
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table


class RichProgress(keras.callbacks.Callback):
    """One progress bar per epoch: steps, loss, the task metric, mean ms/step so far."""

    def __init__(self, console: Console, epochs: int, steps_per_epoch: int, metric: str) -> None:
        super().__init__()
        self.console = console
        self.epochs = epochs
        self.steps_per_epoch = steps_per_epoch
        self.metric = metric
        self._progress: Progress | None = None
        self._task = None
        self._epoch_start = 0.0
        self._steps = 0

    def on_train_begin(self, logs=None):
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(bar_width=12),
            MofNCompleteColumn(),
            TextColumn(
                f"loss {{task.fields[loss]}}  {self.metric} {{task.fields[metric]}}  "
                "{task.fields[ms]} ms/step  {task.fields[val]}"
            ),
            TimeElapsedColumn(),
            console=self.console,
        )
        self._progress.start()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()
        self._steps = 0
        self._task = self._progress.add_task(
            f"epoch {epoch + 1}/{self.epochs}",
            total=self.steps_per_epoch,
            loss="-",
            metric="-",
            ms="-",
            val="",
        )

    def on_train_batch_end(self, batch, logs=None):
        logs = logs or {}
        self._steps += 1
        ms = (time.perf_counter() - self._epoch_start) * 1000.0 / self._steps
        self._progress.update(
            self._task,
            advance=1,
            loss=_fmt(logs.get("loss")),
            metric=_fmt(logs.get(self.metric)),
            ms=f"{ms:.1f}",
        )

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        val = f"val_{self.metric} {_fmt(logs.get('val_' + self.metric))}"
        self._progress.update(self._task, val=val, total=self._steps, completed=self._steps)

    def on_train_end(self, logs=None):
        if self._progress is not None:
            self._progress.stop()


def _fmt(value) -> str:
    return "-" if value is None else f"{float(value):.4f}"


def print_summary(console: Console, record) -> None:
    """A few lines a person reads after a run: metric, speed, cuDNN, where results are."""
    metrics, timing, cudnn = record.metrics, record.timing, record.cudnn
    metric = metrics.get("metric", "accuracy")
    table = Table(title=f"seqlab: {record.title}", show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column()
    for split in ("val", "test"):
        if metrics.get(f"{split}_{metric}") is not None:
            table.add_row(f"{split} {metric}", f"{metrics[f'{split}_{metric}']:.4f}")
    if timing.get("step_ms_median") is not None:
        table.add_row(
            "steady step",
            f"{timing['step_ms_median']:.2f} ms median, {timing['step_ms_p90']:.2f} ms p90 "
            f"({timing['steady_steps']} steps, excluding {timing['warmup']})",
        )
        table.add_row("throughput", f"{timing['samples_per_s']:.0f} samples/s")
    table.add_row("first epoch", f"{timing['first_epoch_s']:.2f} s (includes tracing)")
    kernel = "eligible" if cudnn["eligible"] else "not eligible: " + "; ".join(cudnn["reasons"])
    table.add_row("cuDNN", f"{kernel} (kernel used: {cudnn['kernel']})")
    table.add_row("device", f"{record.device['used']} ({record.device['placement']})")
    table.add_row("results", record.output_dir)
    console.print(table)
