"""history.csv: one row per finished epoch, rewritten after every epoch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keras

from seqlab.runs.files import HISTORY_FILE, RESULTS_FILE, write_history_csv, write_json_atomic


class EpochLog(keras.callbacks.Callback):
    """Rewrites history.csv after every epoch (a resumed run's earlier epochs first).

    Must come after the StepTimer in the callback list: it reads the epoch times the
    timer has just recorded. It also keeps the record's count of finished epochs, which
    an interrupted run reports.
    """

    def __init__(self, output_dir: Path, timer, previous: list[dict[str, Any]], record) -> None:
        super().__init__()
        self.path = Path(output_dir) / HISTORY_FILE
        self.timer = timer
        self.rows = list(previous)
        self.record = record
        self.record.epochs_finished = len(self.rows)

    def on_train_begin(self, logs=None):
        if self.rows:  # resumed: drop rows of epochs the checkpoint does not hold
            write_history_csv(self.path, self.rows)

    def on_epoch_end(self, epoch, logs=None):
        row = {"epoch": epoch + 1, **{k: float(v) for k, v in (logs or {}).items()}}
        row["epoch_s"] = self.timer.epoch_s[-1] if self.timer.epoch_s else None
        row["train_epoch_s"] = self.timer.train_epoch_s[-1] if self.timer.train_epoch_s else None
        self.rows.append(row)
        write_history_csv(self.path, self.rows)
        self.record.epochs_finished = epoch + 1
        # The "running" record says how far the run got, for a reader while it runs
        # and after a kill.
        write_json_atomic(self.path.with_name(RESULTS_FILE), self.record.as_dict())
