"""The Keras calls of the trainer's steps: compile, restore, fit, evaluate, save.

No cell-, dataset- or layout branch: what differs between plain and chunked runs
(pipelines, step counts, loss weighting, callbacks) comes from the layout
(`seqlab.training.layouts`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seqlab.data.loading import SequenceData
from seqlab.errors import FolderError
from seqlab.models.tasks import TaskSpec
from seqlab.records.checkpoints import Checkpoint
from seqlab.records.files import MODEL_FILE, write_atomic
from seqlab.records.record import RunRecord
from seqlab.schema.options import TrainerConfig
from seqlab.training.callbacks import NanGuard, set_rng_states
from seqlab.training.optimizers import make_optimizer


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
    `initial_epoch` to `cfg.epochs`; epoch e is served the batches an uninterrupted run
    serves in its epoch e (the layout's stream from `initial_epoch` on)."""
    start, wall_start = time.perf_counter(), time.time()
    model.fit(
        layout.train(data, initial_epoch),
        epochs=cfg.epochs,
        initial_epoch=initial_epoch,
        validation_data=layout.validation(data),
        callbacks=[*layout.callbacks(), guard, *callbacks],
        shuffle=False,  # the pipeline shuffles
        verbose=0,
        **layout.fit_steps(data),
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
        steps=layout.test_steps(data),
        callbacks=layout.callbacks(),
        return_dict=True,
        verbose=0,
    )
    return {f"test_{key}": scores.get(key) for key in ("loss", task.metric)}, (
        time.perf_counter() - start
    )


def restore(model, checkpoint: Checkpoint) -> None:
    """Load the checkpoint's model and optimizer variables (the optimizer's step count
    included) and its random generators' states into a compiled `model`."""
    model.optimizer.build(model.trainable_variables)  # so its variables load too
    try:
        model.load_weights(checkpoint.weights)
    except Exception as exc:  # h5py/Keras errors: the file passed its hash, the model differs
        raise FolderError(
            f"The checkpoint {checkpoint.weights} is complete but does not fit this model "
            f"({type(exc).__name__}: {exc}). Start over with trainer.resume=false (the earlier "
            "files are moved into .attic/), or run in a new folder."
        ) from None
    set_rng_states(model, checkpoint.state.get("rng"))


def save_model(model, output_dir: Path, record: RunRecord) -> None:
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
