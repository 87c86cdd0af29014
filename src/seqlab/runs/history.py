"""history.csv: one row per finished epoch, rewritten after every epoch."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import keras

from seqlab.runs.files import HISTORY_FILE, write_history_csv


def read_history(output_dir: Path, up_to_epoch: int) -> list[dict[str, Any]]:
    """history.csv rows of epochs 1..up_to_epoch, numbers parsed back to floats."""
    path = Path(output_dir) / HISTORY_FILE
    if up_to_epoch <= 0 or not path.exists():
        return []
    rows = []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            parsed = {k: (float(v) if v not in ("", None) else None) for k, v in row.items()}
            parsed["epoch"] = int(parsed["epoch"])
            if parsed["epoch"] <= up_to_epoch:
                rows.append(parsed)
    return rows


class EpochLog(keras.callbacks.Callback):
    """Rewrites history.csv after every epoch (earlier runs' epochs first).

    Must come after the StepTimer in the callback list: it reads the epoch times
    the timer has just recorded.
    """

    def __init__(self, output_dir: Path, timer, previous: list[dict[str, Any]]) -> None:
        super().__init__()
        self.path = Path(output_dir) / HISTORY_FILE
        self.timer = timer
        self.rows = list(previous)

    def on_epoch_end(self, epoch, logs=None):
        row = {"epoch": epoch + 1, **{k: float(v) for k, v in (logs or {}).items()}}
        row["epoch_s"] = self.timer.epoch_s[-1] if self.timer.epoch_s else None
        row["train_epoch_s"] = self.timer.train_epoch_s[-1] if self.timer.train_epoch_s else None
        self.rows.append(row)
        write_history_csv(self.path, self.rows)
