"""What the user watches: a line per epoch (with a live bar in a terminal) and a summary."""

from __future__ import annotations

import time
from typing import Any

import keras
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
)
from rich.table import Table


def epoch_line(
    epoch: int, epochs: int, logs: dict, metric: str, seconds: float, waited: float = 0.0
) -> str:
    """One finished epoch, e.g. "epoch 3/20  loss 0.4123  accuracy 0.8812  val_loss ...";
    `waited`: seconds of it spent waiting for turns (interleaving launcher), said apart."""
    parts = [f"epoch {epoch}/{epochs}"]
    for key in ("loss", metric, "val_loss", f"val_{metric}"):
        if logs.get(key) is not None:
            parts.append(f"{key} {_fmt(logs[key])}")
    parts.append(f"{seconds - waited:.1f} s")
    if waited >= 0.05:
        parts[-1] += f" (+{waited:.1f} s waiting for turns)"
    return "  ".join(parts)


class _Waits:
    """Seconds spent waiting for turns since the epoch began (0 without a gate)."""

    def __init__(self, gate: Any) -> None:
        self.gate = gate
        self._at_start = 0.0

    def _now(self) -> float:
        return float(getattr(self.gate, "waited_s", 0.0) or 0.0)

    def begin(self) -> None:
        self._at_start = self._now()

    def since_begin(self) -> float:
        return self._now() - self._at_start


class PlainProgress(keras.callbacks.Callback):
    """`trainer.progress=false`: one plain line per finished epoch, flushed at once."""

    def __init__(self, epochs: int, metric: str, gate: Any = None) -> None:
        super().__init__()
        self.epochs = epochs
        self.metric = metric
        self._start = 0.0
        self._waits = _Waits(gate)

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()
        self._waits.begin()

    def on_epoch_end(self, epoch, logs=None):
        seconds, waited = time.perf_counter() - self._start, self._waits.since_begin()
        line = epoch_line(epoch + 1, self.epochs, logs or {}, self.metric, seconds, waited)
        print(line, flush=True)


class RichProgress(keras.callbacks.Callback):
    """A bar for the running epoch (steps, loss, metric, ms/step); a line per finished one.

    The bar is redrawn at most every `REFRESH_S` seconds from the batch callback and
    never from a background thread: on a 2-core machine a refresh thread competes
    with the training threads and slowed steps measurably.
    """

    REFRESH_S = 0.5

    def __init__(
        self, console: Console, epochs: int, steps_per_epoch: int, metric: str, gate: Any = None
    ) -> None:
        super().__init__()
        self._waits = _Waits(gate)
        self.console = console
        self.epochs = epochs
        self.steps_per_epoch = steps_per_epoch
        self.metric = metric
        self._progress: Progress | None = None
        self._task = None
        self._epoch_start = 0.0
        self._last_refresh = 0.0
        self._steps = 0

    def on_train_begin(self, logs=None):
        # Fits in 80 columns: "epoch 20/20 ━━━━━━━━━━ 1234/1234 loss 0.1234 accuracy
        # 0.9876 12.3 ms/step" (the time of an epoch is on its finished line).
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(bar_width=10),
            MofNCompleteColumn(),
            TextColumn(
                f"loss {{task.fields[loss]}} {self.metric} {{task.fields[metric]}} "
                "{task.fields[ms]} ms/step"
            ),
            console=self.console,
            auto_refresh=False,
            transient=True,
        )
        self._progress.start()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = self._last_refresh = time.perf_counter()
        self._waits.begin()
        self._steps = 0
        self._task = self._progress.add_task(
            f"epoch {epoch + 1}/{self.epochs}",
            total=self.steps_per_epoch,
            loss="-",
            metric="-",
            ms="-",
        )
        self._progress.refresh()

    def on_train_batch_end(self, batch, logs=None):
        self._steps += 1
        now = time.perf_counter()
        if now - self._last_refresh < self.REFRESH_S:
            return
        logs = logs or {}
        self._last_refresh = now
        computed = now - self._epoch_start - self._waits.since_begin()
        self._progress.update(
            self._task,
            completed=self._steps,
            loss=_fmt(logs.get("loss")),
            metric=_fmt(logs.get(self.metric)),
            ms=f"{computed * 1000.0 / self._steps:.1f}",
        )
        self._progress.refresh()

    def on_epoch_end(self, epoch, logs=None):
        seconds, waited = time.perf_counter() - self._epoch_start, self._waits.since_begin()
        self._progress.remove_task(self._task)
        line = epoch_line(epoch + 1, self.epochs, logs or {}, self.metric, seconds, waited)
        self._progress.console.print(line, highlight=False, markup=False, soft_wrap=True)
        self._progress.refresh()

    def on_train_end(self, logs=None):
        if self._progress is not None:
            self._progress.stop()


def progress_callback(
    console: Console,
    rich: bool,
    epochs: int,
    steps_per_epoch: int,
    metric: str,
    gate: Any = None,
) -> keras.callbacks.Callback:
    """Rich bars (`trainer.progress=true`) or plain lines (`false`); with the
    interleaving launcher's `gate`, an epoch's time is said without its waits."""
    if rich:
        return RichProgress(console, epochs, steps_per_epoch, metric, gate)
    return PlainProgress(epochs, metric, gate)


def _ms(value) -> str:
    return "-" if value is None else f"{value:.2f} ms"


def _fmt(value) -> str:
    return "-" if value is None else f"{float(value):.4f}"


def print_summary(console: Console, record) -> None:
    """A few lines a person reads after a run: metric, speed, cuDNN, where results are."""
    metrics, timing, cudnn = record.metrics, record.timing, record.cudnn
    metric = metrics.get("metric", "accuracy")
    table = Table(title=escape(f"seqlab: {record.title}"), show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column()
    for split in ("val", "test"):
        if metrics.get(f"{split}_{metric}") is not None:
            table.add_row(f"{split} {metric}", f"{metrics[f'{split}_{metric}']:.4f}")
    earlier = (
        " (measured by an earlier process)"
        if timing.get("measured_by", "this process") != "this process"
        else ""
    )
    if timing.get("step_ms_median") is not None:
        table.add_row(
            "steady step",
            f"{timing['step_ms_median']:.2f} ms median, {_ms(timing.get('step_ms_p90'))} p90 "
            f"({timing['steady_steps']} steps, excluding {timing['warmup']}){earlier}",
        )
    elif timing.get("no_percentiles"):
        table.add_row("steady step", f"not measured: {timing['no_percentiles']}")
    if timing.get("samples_per_s") is not None:
        table.add_row("throughput", f"{timing['samples_per_s']:.0f} samples/s")
    if timing.get("first_epoch_s") is not None:
        table.add_row("first epoch", f"{timing['first_epoch_s']:.2f} s (includes tracing){earlier}")
    kernel = "eligible" if cudnn["eligible"] else "not eligible: " + "; ".join(cudnn["reasons"])
    table.add_row("cuDNN", f"{kernel} (kernel used: {cudnn['kernel']})")
    device = f"{record.device['used']} ({record.device['placement']})"
    if record.device.get("note"):  # it is not the device asked for: say so, and why
        device = f"{record.device['used']}, not the {record.device['requested']} asked for: "
        device += record.device["note"]
    table.add_row("device", escape(device))
    table.add_row("results", escape(record.output_dir))
    console.print(table)
