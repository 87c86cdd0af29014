"""The best epoch: keep its model as model_best.keras, and stop early when it is old.

Both read the history rows (`seqlab.runs.history.EpochLog`), which a resumed run
restores from its checkpoint, so the best value and the epochs since it survive an
interruption. The task's validation metric decides (its validation loss where there
is no metric).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import keras

from seqlab.runs.files import write_atomic

BEST_MODEL_FILE = "model_best.keras"


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


class KeepBest(keras.callbacks.Callback):
    """Saves the model whenever an epoch is the best so far; stops after `patience`
    epochs without an improvement larger than `min_delta` (when patience is set).

    Must come after the EpochLog in the callback list: it reads the row the log has
    just appended.
    """

    def __init__(
        self,
        folder: Path,
        epoch_log,
        key: str,
        higher_is_better: bool,
        patience: int | None,
        min_delta: float,
    ) -> None:
        super().__init__()
        self.path = Path(folder) / BEST_MODEL_FILE
        self.epoch_log = epoch_log
        self.key = key
        self.higher_is_better = higher_is_better
        self.patience = patience
        self.min_delta = min_delta
        self.stopped_epoch: int | None = None

    @property
    def best_epoch(self) -> int | None:
        return best_epoch(self.epoch_log.rows, self.key, self.higher_is_better)

    def on_epoch_end(self, epoch, logs=None):
        if self.best_epoch == epoch + 1:
            write_atomic(self.path, lambda tmp: self.model.save(tmp), staged=True)
        if self.patience is None:
            return
        improved = best_epoch(self.epoch_log.rows, self.key, self.higher_is_better, self.min_delta)
        if improved is not None and epoch + 1 - improved >= self.patience:
            self.stopped_epoch = epoch + 1
            self.model.stop_training = True

    @property
    def outputs(self) -> dict[str, str]:
        """What results.json lists under `files`."""
        return {"model_best": BEST_MODEL_FILE} if self.path.exists() else {}
