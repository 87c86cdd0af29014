"""Build, compile, fit and save the model of a prepared run, with its callbacks and timing."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
from rich.console import Console

from seqlab.backends import current
from seqlab.models.cudnn import detect
from seqlab.runs import signals
from seqlab.runs.best import KeepBest
from seqlab.runs.checkpoints import Checkpoint, Checkpoints
from seqlab.runs.files import MODEL_FILE, write_atomic
from seqlab.runs.history import EpochLog
from seqlab.runs.record import RunRecord
from seqlab.runs.resume import SaveCheckpoint, restore
from seqlab.runs.schedules import describe
from seqlab.runs.setup import Prepared
from seqlab.runs.timing import StepTimer, Timing
from seqlab.runs.trainer import compile_model, fit


@dataclass
class Trained:
    """What training produced beyond the model file: timing, metrics, history."""

    timing: Timing
    metrics: dict[str, Any]
    history: list[dict[str, Any]]
    nan_at: tuple[int, int] | None


def train(
    run: Prepared,
    output_dir: Path,
    record: RunRecord,
    console: Console,
    checkpoint: Checkpoint | None,
    fingerprint: str,
) -> Trained:
    """Build and fit the model (from `checkpoint` when resuming), save it, fill the record."""
    cfg = run.cfg
    timing = Timing()
    start = time.perf_counter()
    model = run.build()
    timing.build_s = time.perf_counter() - start
    record.params = int(sum(int(w.numpy().size) for w in model.trainable_weights))
    steps = run.layout.steps_per_epoch(run.data)
    updates = cfg.trainer.epochs * (steps // (run.layout.accumulate() or 1))
    compile_model(model, run.task, cfg.trainer, run.layout, updates)
    previous = checkpoint.history if checkpoint else []
    if checkpoint is not None:
        restore(model, checkpoint)

    timer = StepTimer(cfg.trainer.warmup_steps)
    epoch_log = EpochLog(output_dir, timer, previous, record)  # writes history.csv per epoch
    metric = f"val_{run.task.metric}"  # what the best epoch and early stopping go by
    stopping = cfg.trainer.early_stopping
    best = KeepBest(
        output_dir,
        epoch_log,
        metric,
        run.task.higher_is_better,
        stopping.patience,
        stopping.min_delta,
    )
    callbacks = [
        InterruptCheck(),
        timer,
        epoch_log,
        best,
        *_optional_callbacks(run, output_dir, steps, console),
    ]
    if cfg.trainer.resume:
        callbacks.append(SaveCheckpoint(Checkpoints(output_dir), epoch_log, fingerprint))
    record.settings = {
        "jit_compile": bool(model.jit_compile),
        "dtype_policy": keras.config.dtype_policy().name,
        "batch_size": cfg.trainer.batch_size,
        "epochs": cfg.trainer.epochs,  # after trainer=smoke's caps
        "steps_per_epoch": steps,
    }
    record.settings["lr_schedule"] = describe(cfg.trainer, updates)
    stateful = run.layout.settings(steps)
    if stateful is not None:
        record.settings["stateful"] = stateful
    outcome = fit(
        model,
        run.data,
        run.task,
        cfg.trainer,
        run.layout,
        callbacks,
        previous,
        initial_epoch=checkpoint.epoch if checkpoint else 0,
    )
    detect(model, run.cudnn, run.layout.sample(run.data))  # the kernel that ran
    record.cudnn = run.cudnn.as_dict()
    # What ran (Keras may turn XLA off), and what it means on this backend.
    record.settings["jit_compile"] = bool(model.jit_compile)
    record.settings["jit"] = current().jit_meaning(bool(model.jit_compile))
    record.settings["early_stopping"] = {
        "patience": stopping.patience,
        "min_delta": stopping.min_delta,
        "metric": metric,
        "stopped_epoch": best.stopped_epoch,
    }
    _save_model(model, output_dir, record)
    for callback in callbacks:
        record.files.update(getattr(callback, "outputs", {}))
    if cfg.trainer.tensorboard:
        record.files["tensorboard"] = "tensorboard"

    timer.fill(timing, *run.layout.throughput_unit())
    if checkpoint is not None:
        # This process ran the epochs after the checkpoint; its first one paid the tracing.
        timing.resumed = True
        timing.resumed_from_epoch = checkpoint.epoch
        timing.epoch_s = [row.get("epoch_s") for row in previous] + timing.epoch_s
        timing.train_epoch_s = [row.get("train_epoch_s") for row in previous] + timing.train_epoch_s
    timing.fit_s, timing.eval_s = outcome.fit_s, outcome.eval_s
    timing.fit_window = outcome.fit_window
    metrics = {**outcome.metrics, "best_epoch": best.best_epoch}
    return Trained(timing, metrics, epoch_log.rows, outcome.nan_at)


class InterruptCheck(keras.callbacks.Callback):
    """Stops at the next batch when a SIGINT/SIGTERM arrived whose exception Python
    swallowed (raised inside a garbage-collector callback, see seqlab.runs.signals)."""

    def on_train_batch_end(self, batch, logs=None):
        signals.check()

    on_test_batch_end = on_train_batch_end
    on_predict_batch_end = on_train_batch_end

    def on_epoch_end(self, epoch, logs=None):
        signals.check()


def _optional_callbacks(run: Prepared, output_dir: Path, steps: int, console) -> list:
    """TensorBoard, reconstruction pictures and progress, as configured."""
    cfg = run.cfg.trainer
    callbacks: list = []
    if cfg.tensorboard:
        callbacks.append(keras.callbacks.TensorBoard(str(output_dir / "tensorboard")))
    if run.data.task == "reconstruction":
        from seqlab.runs.pictures import ReconstructionGrid

        held_out = run.data.x_test if run.data.x_test is not None else run.data.x_val
        callbacks.append(ReconstructionGrid(held_out, output_dir / "reconstructions"))
    from seqlab.runs.progress import progress_callback

    callbacks.append(progress_callback(console, cfg.progress, cfg.epochs, steps, run.task.metric))
    return callbacks


def _save_model(model, output_dir: Path, record: RunRecord) -> None:
    try:
        write_atomic(output_dir / MODEL_FILE, lambda tmp: model.save(tmp), staged=True)
        record.files["model"] = MODEL_FILE
    except Exception as exc:  # e.g. a custom cell that Keras cannot serialize
        if isinstance(exc, OSError):
            raise  # a full disk or a lost folder is the run's failure, not a warning
        # The training is done and measured; a model that cannot be saved is a
        # warning, not a reason to throw the run's results away.
        record.warnings.append(
            f"model.keras was not saved ({type(exc).__name__}: {exc}). Register custom "
            "classes with @keras.saving.register_keras_serializable()."
        )
