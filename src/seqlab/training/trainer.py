"""Train a prepared run, top to bottom: build, compile, restore, fit, evaluate, save.

A run resumed from a checkpoint with nothing left to train (it was stopped after its
last epoch's checkpoint, or early stopping had ended it) skips the fit and goes on
with the evaluation and the saving; its timing figures are those the earlier process
measured (`timing.measured_by`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
from rich.console import Console

from seqlab.backends import current
from seqlab.data.loading import SequenceData
from seqlab.errors import FolderError
from seqlab.models.builder import InputSpec, build_model
from seqlab.models.cudnn import CudnnReport, detect
from seqlab.models.numpy_init import initialize
from seqlab.models.tasks import TaskSpec
from seqlab.records.checkpoints import Checkpoint, Checkpoints
from seqlab.records.files import HISTORY_FILE, write_history_csv
from seqlab.records.record import RunRecord
from seqlab.schema.options import SeqlabConfig
from seqlab.training.callbacks import (
    EpochEnd,
    GlobalRandomState,
    InterruptCheck,
    NanGuard,
    save_best,
)
from seqlab.training.fingerprints import weights_fingerprint
from seqlab.training.layouts import ChunkedLayout, PlainLayout
from seqlab.training.optimizers import describe
from seqlab.training.steps import (
    FitOutcome,
    compile_model,
    evaluate_test,
    final_metrics,
    restore,
    save_model,
)
from seqlab.training.steps import fit as fit_model
from seqlab.training.timing import StepTimer, Timing
from seqlab.training.turns import ChunkTurns


@dataclass
class Prepared:
    """What a run needs before it builds its model (made by `seqlab.runs.setup.prepare`)."""

    cfg: SeqlabConfig
    data: SequenceData
    layout: PlainLayout | ChunkedLayout
    task: TaskSpec
    spec: InputSpec
    cudnn: CudnnReport

    def build(self, impl: str | None = None):
        """The run's model (or the same model with another implementation)."""
        impl = impl or self.cfg.impl.name
        return build_model(
            self.spec, self.cfg.model, impl, self.task.output_units, self.cudnn.use_cudnn
        )


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
    gate: Any = None,
) -> Trained:
    """Build and fit the model (from `checkpoint` when resuming), save it, fill the record."""
    cfg, output_dir = run.cfg, Path(output_dir)
    timing = Timing()

    # Build: the same start for every impl and backend with this seed.
    start = time.perf_counter()
    model, kept = build_start(run)
    timing.build_s = time.perf_counter() - start
    record.params = int(sum(int(w.numpy().size) for w in model.trainable_weights))
    record.start["weights"] = weights_fingerprint(model)
    record.start["init"] = "numpy" if not kept else f"numpy, but the backend's for {kept}"

    # Compile
    steps = run.layout.steps_per_epoch(run.data)
    updates = cfg.trainer.epochs * (steps // (run.layout.accumulate() or 1))
    compile_model(model, run.task, cfg.trainer, run.layout, updates)
    _record_settings(record, model, run, steps, updates)

    # Restore
    rows: list[dict[str, Any]] = []
    if checkpoint is not None:
        _check_same_data(checkpoint, record, run)
        restore(model, checkpoint)
        rows = list(checkpoint.history)
        if _best_epoch_is(checkpoint, run):
            save_best(model, output_dir)  # a stop between the checkpoint and the best model

    # Fit
    timer = StepTimer(cfg.trainer.warmup_steps)
    guard = NanGuard()
    epoch_end = _epoch_end(run, output_dir, timer, rows, record, fingerprint, guard)
    first = checkpoint.epoch if checkpoint else 0
    left = 0 if checkpoint and checkpoint.finished_training else cfg.trainer.epochs - first
    outcome = FitOutcome()
    optional = _optional(run, output_dir, steps, console, gate)
    turns = gate.chunks(timer, left) if gate is not None and left > 0 else None
    if left > 0:
        # Turns before the timer: a step's time never holds a wait for its turn.
        callbacks = [InterruptCheck(), *([turns] if turns else []), timer, epoch_end, *optional]
        spent = sum(row.get("train_epoch_s") or 0.0 for row in rows)  # by earlier processes
        callbacks += _limits(cfg.trainer, timer, gate, spent)
        if checkpoint is not None:
            callbacks.insert(0, GlobalRandomState(checkpoint.state.get("rng")))
        outcome = fit_model(model, run.data, cfg.trainer, run.layout, callbacks, guard, first)
        detect(model, run.cudnn, run.layout.sample(run.data))  # the kernel that ran
    else:  # stopped after its last checkpoint: evaluate and save what it trained
        write_history_csv(output_dir / HISTORY_FILE, rows)
        console.print(
            f"seqlab: nothing left to train: the checkpoint of epoch {first} ends the training "
            "(an earlier process was stopped after it); evaluating and saving that model.",
            highlight=False,
        )
    _record_what_ran(record, model, run, epoch_end, checkpoint)
    metrics = final_metrics(epoch_end.rows, run.task)
    metrics["best_epoch"] = epoch_end.best_epoch

    # Evaluate
    if run.data.x_test is not None and cfg.trainer.evaluate_test and outcome.nan_at is None:
        scores, timing.eval_s = evaluate_test(model, run.data, run.task, run.layout)
        metrics.update(scores)

    # Save
    save_model(model, output_dir, record)
    for callback in (epoch_end, *optional):
        record.files.update(getattr(callback, "outputs", {}))
    if cfg.trainer.tensorboard:
        record.files["tensorboard"] = "tensorboard"

    # Timing figures: this process's, or those of the process that trained.
    _fill_timing(timing, timer, run, checkpoint, outcome, callbacks if left > 0 else [])
    return Trained(timing, metrics, epoch_end.rows, outcome.nan_at)


def _epoch_end(
    run: Prepared,
    output_dir: Path,
    timer: StepTimer,
    rows: list[dict[str, Any]],
    record: RunRecord,
    fingerprint: str,
    guard: NanGuard,
) -> EpochEnd:
    """The epoch-end step: timing, history, early stopping, checkpoint, record, best."""
    cfg = run.cfg.trainer
    return EpochEnd(
        output_dir,
        timer,
        rows,
        record,
        checkpoints=Checkpoints(output_dir) if cfg.resume else None,
        identity={"config": fingerprint, "data": record.start["data"]},
        metric=f"val_{run.task.metric}",
        higher_is_better=run.task.higher_is_better,
        patience=cfg.early_stopping.patience,
        min_delta=cfg.early_stopping.min_delta,
        nan_guard=guard,
        throughput_unit=run.layout.throughput_unit(),
    )


def _record_what_ran(
    record: RunRecord, model: Any, run: Prepared, epoch_end: EpochEnd, checkpoint: Any
) -> None:
    """Early stopping's decision, what ran of XLA (Keras may turn it off) and what that
    means on this backend, and the cuDNN report with the kernel detected."""
    stopping = run.cfg.trainer.early_stopping
    stopped = epoch_end.stopped_epoch
    if stopped is None and checkpoint is not None:
        stopped = checkpoint.state.get("stopped_epoch")
    record.settings["early_stopping"] = {
        "patience": stopping.patience,
        "min_delta": stopping.min_delta,
        "metric": epoch_end.metric,
        "stopped_epoch": stopped,
    }
    record.settings["jit_compile"] = bool(model.jit_compile)
    record.settings["jit"] = current().jit_meaning(bool(model.jit_compile))
    record.cudnn = run.cudnn.as_dict()


def _fill_timing(
    timing: Timing,
    timer: StepTimer,
    run: Prepared,
    checkpoint: Any,
    outcome: FitOutcome,
    callbacks: list,
) -> None:
    """This process's figures, or those of the process that trained (a run stopped after
    its last checkpoint); an interleaved job's chunks and waits; until_precise's stop."""
    timer.fill(timing, *run.layout.throughput_unit())
    if checkpoint is not None:
        if outcome.fit_s is None:  # nothing was left to train here
            timing.take_over(checkpoint.state.get("timing") or {})
        timing.resumed, timing.resumed_from_epoch = True, checkpoint.epoch
        previous = checkpoint.history
        timing.epoch_s = [row.get("epoch_s") for row in previous] + timing.epoch_s
        timing.train_epoch_s = [row.get("train_epoch_s") for row in previous] + timing.train_epoch_s
    timing.fit_s, timing.fit_window = outcome.fit_s, outcome.fit_window
    for callback in callbacks:
        if isinstance(callback, ChunkTurns):  # interleaved turns
            waited = callback.waited  # during the fit (not the wait for the first turn)
            timing.chunks, timing.waited_s = callback.as_dict(), waited
            timing.fit_s = None if outcome.fit_s is None else outcome.fit_s - waited
        if getattr(callback, "reached", None):  # trainer.until_precise ended it early
            timing.precise = callback.reached


def build_start(run: Prepared, impl: str | None = None) -> tuple[Any, list[str]]:
    """The run's model with its initial weights, and the weights NumPy did not draw.

    The seed is set right here, so nothing drawn before (a throwaway cell in the cuDNN
    check) changes the start; every weight of a known initializer is then drawn again
    in NumPy (`seqlab.models.numpy_init`), so every backend starts from the same ones.
    """
    keras.config.set_dtype_policy(run.cfg.trainer.precision)  # the process keeps it: set always
    keras.utils.set_random_seed(run.cfg.trainer.seed)
    model = run.build(impl)
    return model, initialize(model, run.cfg.trainer.seed)


def _record_settings(record: RunRecord, model, run: Prepared, steps: int, updates: int) -> None:
    cfg = run.cfg
    record.settings = {
        "jit_compile": bool(model.jit_compile),
        "precision": cfg.trainer.precision,
        "dtype_policy": keras.config.dtype_policy().name,
        "batch_size": cfg.trainer.batch_size,
        "epochs": cfg.trainer.epochs,  # after trainer=smoke's caps
        "steps_per_epoch": steps,
        "lr_schedule": describe(cfg.trainer, updates),
    }
    stateful = run.layout.settings(steps)
    if stateful is not None:
        record.settings["stateful"] = stateful


def _check_same_data(checkpoint: Checkpoint, record: RunRecord, run: Prepared) -> None:
    """A checkpoint resumes only onto the data it was trained on."""
    theirs, mine = checkpoint.state.get("data"), record.start["data"]
    if theirs is None or theirs == mine:
        return
    where = run.cfg.dataset.path or f"dataset={run.cfg.dataset.name}'s data"
    raise FolderError(
        f"The checkpoint in {checkpoint.weights.parent} was trained on other data than "
        f"{where} holds now (data fingerprint {theirs} then, {mine} now): the file was "
        "replaced or changed since. Resuming would mix two datasets in one history. Put "
        "the original file back, or start over on the new data with trainer.resume=false "
        "(the earlier files are moved into .attic/), or run in a new folder."
    )


def _best_epoch_is(checkpoint: Checkpoint, run: Prepared) -> bool:
    from seqlab.training.callbacks import best_epoch

    metric = f"val_{run.task.metric}"
    return best_epoch(checkpoint.history, metric, run.task.higher_is_better) == checkpoint.epoch


def _limits(cfg: Any, timer: StepTimer, gate: Any, spent_s: float = 0.0) -> list:
    """trainer.time_cap_s and trainer.until_precise (seqlab.training.limits)."""
    from seqlab.training.limits import PreciseEnough, TimeCap

    found: list = []
    if cfg.time_cap_s is not None:
        found.append(TimeCap(cfg.time_cap_s, gate, spent_s))
    if cfg.until_precise is not None:
        found.append(PreciseEnough(cfg.until_precise, timer))
    return found


def _optional(run: Prepared, output_dir: Path, steps: int, console, gate: Any = None) -> list:
    """TensorBoard, reconstruction pictures and progress, as configured."""
    cfg = run.cfg.trainer
    callbacks: list = []
    if cfg.tensorboard:
        callbacks.append(keras.callbacks.TensorBoard(str(output_dir / "tensorboard")))
    if run.data.task == "reconstruction":
        from seqlab.training.callbacks import ReconstructionGrid

        held_out = run.data.x_test if run.data.x_test is not None else run.data.x_val
        callbacks.append(ReconstructionGrid(held_out, output_dir / "reconstructions"))
    from seqlab.training.progress import progress_callback

    metric = run.task.metric
    callbacks.append(progress_callback(console, cfg.progress, cfg.epochs, steps, metric, gate))
    return callbacks
