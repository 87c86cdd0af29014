"""The end of an epoch: one Keras callback that does everything, in the order written here.

1. The epoch's timing ends, before anything is written (so no write is in a figure).
2. Its history row is kept.
3. Early stopping decides from the rows (the decision goes into the checkpoint).
4. The checkpoint is committed: weights, rows, the stop decision, the timing figures
   so far, the data's fingerprint, the random states (`rng_states`). Not
   after a non-finite loss: a resumed run must not start from those weights.
5. history.csv and the running record say the epoch finished; they are never ahead
   of the checkpoint a restart resumes from.
6. The best model is saved when this epoch is the best so far: after the checkpoint
   that names it, so no kill leaves a best model newer than any checkpoint.
7. A signal whose exception Python swallowed stops the run here (`seqlab.records.signals`).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import keras
import numpy as np

from seqlab.records import signals
from seqlab.records.checkpoints import Checkpoints
from seqlab.records.files import (
    BEST_MODEL_FILE,
    HISTORY_FILE,
    RESULTS_FILE,
    write_atomic,
    write_history_csv,
    write_json_atomic,
)
from seqlab.training.figures import GRID, side_by_side
from seqlab.training.timing import StepTimer, Timing


class EpochEnd(keras.callbacks.Callback):
    """Runs the seven steps above when an epoch ends; see the module docstring."""

    def __init__(
        self,
        folder: Path,
        timer: StepTimer,
        rows: list[dict[str, Any]],
        record: Any,
        *,
        checkpoints: Checkpoints | None,
        identity: dict[str, str],
        metric: str,
        higher_is_better: bool,
        patience: int | None,
        min_delta: float,
        nan_guard: Any,
        throughput_unit: tuple[int, int],
    ) -> None:
        super().__init__()
        self.folder = Path(folder)
        self.timer = timer
        self.rows = list(rows)
        self.record = record
        self.checkpoints = checkpoints
        self.identity = identity
        self.metric = metric
        self.higher_is_better = higher_is_better
        self.patience = patience
        self.min_delta = min_delta
        self.nan_guard = nan_guard
        self.throughput_unit = throughput_unit
        self.stopped_epoch: int | None = None

    @property
    def best_epoch(self) -> int | None:
        return best_epoch(self.rows, self.metric, self.higher_is_better)

    def on_train_begin(self, logs=None):
        if self.rows:  # resumed: history.csv holds exactly the checkpoint's epochs
            write_history_csv(self.folder / HISTORY_FILE, self.rows)

    def on_epoch_end(self, epoch, logs=None):
        number = epoch + 1
        # 1. timing
        seconds = self.timer.close_epoch()
        # 2. history row
        row = {"epoch": number, **{k: float(v) for k, v in (logs or {}).items()}}
        row["epoch_s"] = seconds
        row["train_epoch_s"] = self.timer.train_epoch_s[-1]
        self.rows.append(row)
        # 3. early stopping
        stop = self.patience is not None and should_stop(
            self.rows, self.metric, self.higher_is_better, self.patience, self.min_delta
        )
        if stop:
            self.stopped_epoch = number
            self.model.stop_training = True
        # 4. checkpoint
        if self.checkpoints is not None and self.nan_guard.where is None:
            figures = Timing()
            self.timer.fill(figures, *self.throughput_unit)
            self.checkpoints.save(
                self.model,
                number,
                self.rows,
                self.identity["config"],
                state={
                    "stopped_epoch": self.stopped_epoch,
                    "timing": figures.carried(),
                    "data": self.identity.get("data"),
                    "rng": rng_states(self.model),
                },
            )
        # 5. history.csv and the running record
        write_history_csv(self.folder / HISTORY_FILE, self.rows)
        self.record.epochs_finished = number
        write_json_atomic(self.folder / RESULTS_FILE, self.record.as_dict())
        # 6. best model
        if self.best_epoch == number and self.nan_guard.where is None:
            save_best(self.model, self.folder)
        # 7. a swallowed signal
        signals.check()

    @property
    def outputs(self) -> dict[str, str]:
        """What results.json lists under `files`."""
        return {"model_best": BEST_MODEL_FILE} if (self.folder / BEST_MODEL_FILE).exists() else {}


def _rng_variables(model) -> list:
    """The states of the model's random generators (a SeedGenerator per dropout cell):
    in `model.variables` but not in `model.weights`, so not in a weights file."""
    weights = {id(w) for w in model.weights}
    return [v for v in model.variables if id(v) not in weights]


def rng_states(model) -> dict[str, Any]:
    """The random states a checkpoint keeps, without which a resumed run draws other
    dropout masks: the model's generators, and the backend's global one (torch's)."""
    from seqlab.backends import current

    return {
        "generators": [np.asarray(v.numpy()).tolist() for v in _rng_variables(model)],
        "backend": current().random_state(),
    }


def set_rng_states(model, states: dict[str, Any] | None) -> None:
    """Put back the model's generators that `rng_states` saved (a checkpoint of an older
    seqlab has none); the backend's global state goes back with `GlobalRandomState`."""
    variables = _rng_variables(model)
    saved = (states or {}).get("generators")
    if saved is None or len(saved) != len(variables):
        return
    for variable, state in zip(variables, saved, strict=True):
        variable.assign(np.asarray(state, dtype=variable.dtype))


class GlobalRandomState(keras.callbacks.Callback):
    """Puts the backend's global random state of a checkpoint back right before the first
    training step of a resumed fit: fit's start draws from torch's generator (each data
    iterator Keras makes is a DataLoader, which takes a seed from it), and the run that
    was not stopped made no such draws there (it kept its training iterator)."""

    def __init__(self, states: dict[str, Any] | None) -> None:
        super().__init__()
        self.state = (states or {}).get("backend")

    def on_train_batch_begin(self, batch, logs=None):
        if self.state is not None:
            from seqlab.backends import current

            current().set_random_state(self.state)
            self.state = None


def save_best(model, folder: Path) -> None:
    """Write model_best.keras (atomically; staged away from the run's file system)."""
    write_atomic(Path(folder) / BEST_MODEL_FILE, lambda tmp: model.save(tmp), staged=True)


def best_epoch(
    rows: list[dict[str, Any]], key: str, higher_is_better: bool, min_delta: float = 0.0
) -> int | None:
    """The epoch whose `key` beat every earlier one by more than `min_delta` last."""
    best, where = None, None
    for row in rows:
        value = row.get(key)
        if value is None or not math.isfinite(value):
            continue
        better = best is None or (
            value > best + min_delta if higher_is_better else value < best - min_delta
        )
        if better:
            best, where = value, int(row["epoch"])
    return where


def should_stop(
    rows: list[dict[str, Any]], key: str, higher_is_better: bool, patience: int, min_delta: float
) -> bool:
    """Whether `patience` epochs have passed without an improvement larger than `min_delta`."""
    improved = best_epoch(rows, key, higher_is_better, min_delta)
    return bool(rows) and improved is not None and int(rows[-1]["epoch"]) - improved >= patience


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


class InterruptCheck(keras.callbacks.Callback):
    """Stops at the next batch when a SIGINT/SIGTERM arrived whose exception Python
    swallowed (raised inside a garbage-collector callback, see seqlab.records.signals)."""

    def on_train_batch_end(self, batch, logs=None):
        signals.check()

    on_test_batch_end = on_train_batch_end
    on_predict_batch_end = on_train_batch_end


class ReconstructionGrid(keras.callbacks.Callback):
    """After every epoch, writes <folder>/epoch_NNN.png for the first 100 held-out images."""

    def __init__(self, images: np.ndarray, folder: Path) -> None:
        super().__init__()
        self.images = images[: GRID * GRID]  # (n, time, features): rows of pixels
        self.folder = Path(folder)
        self.files: list[str] = []

    @property
    def outputs(self) -> dict[str, list[str]]:
        """What results.json lists under `files`."""
        return {"reconstructions": self.files}

    def on_epoch_end(self, epoch, logs=None):
        logits = self.model.predict(self.images, verbose=0)
        reconstructions = 1.0 / (1.0 + np.exp(-logits))  # sigmoid, as the loss assumes
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"epoch_{epoch + 1:03d}.png"
        image = side_by_side(self.images, reconstructions)
        write_atomic(path, lambda tmp: image.save(tmp), staged=True)
        self.files.append(str(path.relative_to(self.folder.parent)))
