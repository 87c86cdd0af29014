"""What a run keeps on disk while it trains, so that an interrupted run can resume.

Keras's `BackupAndRestore` saves the weights, the optimizer state and the epoch
number after every epoch into `<run dir>/backup` and restores them when `fit`
starts again; it deletes the backup when training ends normally. The per-epoch
history that Keras does not keep is history.csv (`seqlab.runs.history`).
"""

from __future__ import annotations

import json
from pathlib import Path

import keras

BACKUP_DIR = "backup"


def backup_epoch(output_dir: Path) -> int:
    """Epochs finished by an earlier, interrupted run in `output_dir` (0 if none)."""
    metadata = Path(output_dir) / BACKUP_DIR / "training_metadata.json"
    try:
        return int(json.loads(metadata.read_text())["epoch"])
    except (OSError, ValueError, KeyError):
        return 0


def backup_callback(output_dir: Path) -> keras.callbacks.BackupAndRestore:
    return keras.callbacks.BackupAndRestore(str(Path(output_dir) / BACKUP_DIR))
