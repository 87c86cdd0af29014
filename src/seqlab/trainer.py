"""The generic trainer: compile, `model.fit`, evaluate. No cell- or dataset-specific code."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np

from seqlab.config import TrainerConfig
from seqlab.datasets import SequenceData
from seqlab.stateful import ChunkLayout, StateReset, chunk_batches
from seqlab.tasks import TaskSpec

OPTIMIZER_CLASSES = {
    "adam": "Adam",
    "adamw": "AdamW",
    "sgd": "SGD",
    "rmsprop": "RMSprop",
    "adagrad": "Adagrad",
    "nadam": "Nadam",
}


def batches(
    x: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    *,
    shuffle_seed: int | None = None,
    shuffle_buffer: int | None = None,
    drop_remainder: bool = False,
    repeat: bool = False,
):
    """A tf.data pipeline over (x, y); shuffled (reshuffled each epoch) when a seed is given."""
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle_seed is not None:
        ds = ds.shuffle(shuffle_buffer or len(x), seed=shuffle_seed, reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()
    return ds.batch(batch_size, drop_remainder=drop_remainder).prefetch(tf.data.AUTOTUNE)


def batches_per_pass(n: int, batch_size: int, drop_remainder: bool) -> int:
    return n // batch_size if drop_remainder else math.ceil(n / batch_size)


def make_optimizer(cfg: TrainerConfig, accumulate: int | None = None):
    cls = getattr(keras.optimizers, OPTIMIZER_CLASSES[cfg.optimizer])
    return cls(learning_rate=cfg.lr, clipnorm=cfg.clipnorm, gradient_accumulation_steps=accumulate)


def compile_model(
    model, task: TaskSpec, cfg: TrainerConfig, layout: ChunkLayout | None = None
) -> None:
    """Compile with the task's loss and metrics.

    Stateful chunked training (`layout`) scores only the last chunk of each sequence
    through sample weights, which Keras applies to `weighted_metrics` only, and
    updates the weights once per group of chunks.
    """
    jit = {"true": True, "false": False}.get(cfg.jit_compile, "auto")
    metrics = {"metrics": task.metrics()}
    accumulate = None
    if layout is not None:
        metrics = {"weighted_metrics": task.metrics()}
        accumulate = layout.chunks if layout.chunks > 1 else None
    model.compile(
        optimizer=make_optimizer(cfg, accumulate), loss=task.loss(), jit_compile=jit, **metrics
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
    history: list[dict[str, Any]] = field(default_factory=list)
    metrics: dict[str, float | None] = field(default_factory=dict)
    fit_s: float = 0.0
    eval_s: float | None = None
    nan_at: tuple[int, int] | None = None


def steps_per_epoch(
    data: SequenceData, cfg: TrainerConfig, layout: ChunkLayout | None = None
) -> int:
    """Batches per epoch as Keras counts them (chunk batches when stateful)."""
    if layout is not None:
        # trainer.steps_per_epoch counts groups of whole sequences (optimizer updates).
        groups = cfg.steps_per_epoch or len(data.x_train) // cfg.batch_size
        return groups * layout.chunks
    full = batches_per_pass(len(data.x_train), cfg.batch_size, cfg.drop_remainder)
    return cfg.steps_per_epoch or full


def _chunk_steps(steps: int | None, layout: ChunkLayout | None) -> int | None:
    return steps * layout.chunks if steps is not None and layout is not None else steps


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
    task: TaskSpec,
    cfg: TrainerConfig,
    callbacks: list,
    previous_history: list[dict[str, Any]] = (),
    layout: ChunkLayout | None = None,
) -> FitOutcome:
    """Train `model` (already compiled) on `data`; evaluate on the test split if there is one.

    `previous_history` holds the epochs an interrupted run finished before (the
    callbacks then include Keras's BackupAndRestore, which restores its state).
    `layout`: a stateful model, fed consecutive chunks (the callbacks then include
    `seqlab.stateful.StateReset`); step counts in `cfg` count whole sequences.
    """
    full_batches = batches_per_pass(len(data.x_train), cfg.batch_size, cfg.drop_remainder)
    if layout is None and full_batches == 0:
        from seqlab.errors import ConfigError

        raise ConfigError(
            f"trainer.batch_size={cfg.batch_size} with trainer.drop_remainder=true leaves "
            f"no full batch of the {len(data.x_train)} training examples. Lower "
            "trainer.batch_size or set trainer.drop_remainder=false."
        )
    # With an explicit steps_per_epoch the data repeats, so epochs never run dry.
    repeat = cfg.steps_per_epoch is not None
    if layout is not None:
        train = chunk_batches(
            data.x_train, data.y_train, layout, shuffle_seed=cfg.seed, repeat=repeat
        )
        val = chunk_batches(data.x_val, data.y_val, layout, groups=cfg.validation_steps)
    else:
        train = batches(
            data.x_train,
            data.y_train,
            cfg.batch_size,
            shuffle_seed=cfg.seed,
            shuffle_buffer=cfg.shuffle_buffer,
            drop_remainder=cfg.drop_remainder,
            repeat=repeat,
        )
        val = batches(data.x_val, data.y_val, cfg.batch_size, drop_remainder=cfg.drop_remainder)
        if batches_per_pass(len(data.x_val), cfg.batch_size, cfg.drop_remainder) == 0:
            val = batches(data.x_val, data.y_val, cfg.batch_size)
    guard = NanGuard()
    start = time.perf_counter()
    history = model.fit(
        train,
        epochs=cfg.epochs,
        steps_per_epoch=_chunk_steps(cfg.steps_per_epoch, layout),
        validation_data=val,
        validation_steps=_chunk_steps(cfg.validation_steps, layout),
        callbacks=[guard, *callbacks],
        shuffle=False,  # the tf.data pipeline shuffles
        verbose=0,
    )
    outcome = FitOutcome(fit_s=time.perf_counter() - start, nan_at=guard.where)
    # history.epoch holds the real epoch numbers (a resumed fit starts past 0).
    outcome.history = list(previous_history) + [
        {"epoch": epoch + 1, **{k: v[i] for k, v in history.history.items() if i < len(v)}}
        for i, epoch in enumerate(history.epoch)
    ]
    outcome.metrics = final_metrics(outcome.history, task)

    if data.x_test is not None and cfg.evaluate_test and outcome.nan_at is None:
        if layout is not None:
            test = chunk_batches(data.x_test, data.y_test, layout, groups=cfg.test_steps)
        else:
            test = batches(data.x_test, data.y_test, cfg.batch_size)
        start = time.perf_counter()
        scores = model.evaluate(
            test,
            steps=_chunk_steps(cfg.test_steps, layout),
            callbacks=[c for c in callbacks if isinstance(c, StateReset)],
            return_dict=True,
            verbose=0,
        )
        outcome.eval_s = time.perf_counter() - start
        for key in ("loss", task.metric):
            outcome.metrics[f"test_{key}"] = scores.get(key)
    return outcome
