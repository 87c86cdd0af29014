"""The best epoch and early stopping, both read from the history rows.

A resumed run restores its rows from the checkpoint, so the best value and the epochs
since it survive an interruption. The task's validation metric decides (its
validation loss where there is no metric). The epoch-end step
(`seqlab.runs.epoch_end`) saves the best epoch's model and applies the stop.
"""

from __future__ import annotations

import math
from typing import Any

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


def should_stop(
    rows: list[dict[str, Any]], key: str, higher_is_better: bool, patience: int, min_delta: float
) -> bool:
    """Whether `patience` epochs have passed without an improvement larger than `min_delta`."""
    improved = best_epoch(rows, key, higher_is_better, min_delta)
    return bool(rows) and improved is not None and int(rows[-1]["epoch"]) - improved >= patience
