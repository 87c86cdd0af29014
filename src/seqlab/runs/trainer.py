"""The Keras calls of the generic trainer: compile, `model.fit`, evaluate.

No cell-, dataset- or layout branch.

What differs between plain and chunked runs (pipelines, step counts, loss weighting,
callbacks) comes from the layout (`seqlab.runs.layouts`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import keras

from seqlab.config.schema import TrainerConfig
from seqlab.data.loading import SequenceData
from seqlab.models.tasks import TaskSpec
from seqlab.runs.optimizers import make_optimizer


def compile_model(model, task: TaskSpec, cfg: TrainerConfig, layout, updates: int = 1) -> None:
    """Compile with the task's loss and metrics, as the layout weights them; `updates` is
    the number of optimizer updates the run will make (for learning-rate schedules)."""
    jit = {"true": True, "false": False}.get(cfg.jit_compile, "auto")
    model.compile(
        optimizer=make_optimizer(cfg, layout.accumulate(), updates),
        loss=task.loss(),
        jit_compile=jit,
        **layout.compile_options(task),
    )


class NanGuard(keras.callbacks.Callback):
    """Stops training at the first non-finite loss and remembers where it happened."""

    def __init__(self) -> None:
        super().__init__()
        self.epoch = 0
        self.where: tuple[int, int] | None = None  # (epoch, step), 1-based

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)) and self.where is None:
            self.where = (self.epoch + 1, batch + 1)
            self.model.stop_training = True


@dataclass
class FitOutcome:
    """What model.fit leaves besides the epoch rows (which the epoch-end step keeps)."""

    fit_s: float | None = None  # None: nothing was left to fit
    fit_window: list[float] | None = None  # wall clock, to compare with other jobs'
    nan_at: tuple[int, int] | None = None


def final_metrics(history: list[dict[str, Any]], task: TaskSpec) -> dict[str, float | None]:
    """Last epoch's train/val loss and metric, and the best validation metric of any epoch."""
    last = history[-1] if history else {}
    metrics: dict[str, float | None] = {}
    for key in ("loss", task.metric):
        metrics[f"train_{key}"] = last.get(key)
        metrics[f"val_{key}"] = last.get(f"val_{key}")
    val_curve = [row.get(f"val_{task.metric}") for row in history]
    val_curve = [v for v in val_curve if v is not None and math.isfinite(v)]
    if val_curve:
        best = max(val_curve) if task.higher_is_better else min(val_curve)
        metrics[f"best_val_{task.metric}"] = best
    return metrics


def fit(
    model,
    data: SequenceData,
    cfg: TrainerConfig,
    layout,
    callbacks: list,
    guard: NanGuard,
    initial_epoch: int = 0,
) -> FitOutcome:
    """Train `model` (already compiled, restored by the caller when resuming) from
    `initial_epoch` to `cfg.epochs`."""
    start, wall_start = time.perf_counter(), time.time()
    model.fit(
        layout.train(data),
        epochs=cfg.epochs,
        initial_epoch=initial_epoch,
        validation_data=layout.validation(data),
        callbacks=[*layout.callbacks(), guard, *callbacks],
        shuffle=False,  # the pipeline shuffles
        verbose=0,
        **layout.fit_steps(),
    )
    outcome = FitOutcome(
        fit_s=time.perf_counter() - start,
        fit_window=[wall_start, time.time()],
        nan_at=guard.where,
    )
    return outcome


def evaluate_test(model, data: SequenceData, task: TaskSpec, layout) -> tuple[dict, float]:
    """The test split's loss and task metric, and the seconds the evaluation took."""
    start = time.perf_counter()
    scores = model.evaluate(
        layout.test(data),
        steps=layout.test_steps(),
        callbacks=layout.callbacks(),
        return_dict=True,
        verbose=0,
    )
    return {f"test_{key}": scores.get(key) for key in ("loss", task.metric)}, (
        time.perf_counter() - start
    )
