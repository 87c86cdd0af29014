"""What a run keeps on disk while it trains, so that an interrupted run can resume.

Keras's `BackupAndRestore` saves the weights, the optimizer state and the epoch
number after every epoch into `<run dir>/backup` and restores them when `fit`
starts again; it deletes the backup when training ends normally. seqlab adds what
Keras does not keep: the per-epoch history (metrics and epoch times), rewritten
after every epoch, so that a resumed run's results.json covers all its epochs.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import keras

from seqlab.results import HISTORY_FILE, write_history_csv

BACKUP_DIR = "backup"


def backup_epoch(output_dir: Path) -> int:
    """Epochs finished by an earlier, interrupted run in `output_dir` (0 if none)."""
    metadata = Path(output_dir) / BACKUP_DIR / "training_metadata.json"
    try:
        return int(json.loads(metadata.read_text())["epoch"])
    except (OSError, ValueError, KeyError):
        return 0


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


def backup_callback(output_dir: Path) -> keras.callbacks.BackupAndRestore:
    return keras.callbacks.BackupAndRestore(str(Path(output_dir) / BACKUP_DIR))


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
