"""Seed 002's variable-length toy task: consecutive integers (label 0) vs random ones (1).

Each sequence has a length drawn uniformly from [min_length, max_length), values are
divided by max_value, and the sequence is post-padded to max_length with mask_value,
so the model must mask the padding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seqlab.config import DatasetConfig, check, check_min
from seqlab.datasets.base import LoadedSplits, register_dataset


@dataclass
class ToySequencesConfig(DatasetConfig):
    n_train: int = 20000
    n_test: int = 2000
    min_length: int = 5
    max_length: int = 20
    max_value: int = 10000
    mask_value: float = -1.0
    seed: int = 0

    def __post_init__(self) -> None:
        super().__post_init__()
        check_min("dataset.n_train", self.n_train, 2)
        check_min("dataset.n_test", self.n_test, 0)
        check_min("dataset.min_length", self.min_length, 1)
        check(
            self.max_length > self.min_length,
            "dataset.max_length",
            self.max_length,
            f"greater than dataset.min_length ({self.min_length})",
        )
        check(
            self.max_value > self.max_length,
            "dataset.max_value",
            self.max_value,
            f"greater than dataset.max_length ({self.max_length})",
        )
        check(
            not 0.0 <= self.mask_value <= 1.0,
            "dataset.mask_value",
            self.mask_value,
            "outside [0, 1], where the real values lie",
        )


def generate(cfg: ToySequencesConfig, n: int, rng: np.random.Generator):
    """Return (x, y): x (n, max_length, 1) float32 padded with mask_value, y (n,) int64."""
    lengths = rng.integers(cfg.min_length, cfg.max_length, size=n)
    starts = rng.integers(0, cfg.max_value - lengths)
    consecutive = rng.random(n) > 0.5  # label 0, as in the seed
    steps = np.arange(cfg.max_length)
    values = np.where(
        consecutive[:, None],
        starts[:, None] + steps[None, :],
        rng.integers(0, cfg.max_value, size=(n, cfg.max_length)),
    ) / float(cfg.max_value)
    x = np.where(steps[None, :] < lengths[:, None], values, cfg.mask_value)
    y = np.where(consecutive, 0, 1).astype("int64")
    return x[..., None].astype("float32"), y


@register_dataset("toy_sequences", ToySequencesConfig)
def load_toy_sequences(cfg: ToySequencesConfig) -> LoadedSplits:
    rng = np.random.default_rng(cfg.seed)
    x_train, y_train = generate(cfg, cfg.n_train, rng)
    x_test, y_test = generate(cfg, cfg.n_test, rng) if cfg.n_test else (None, None)
    return LoadedSplits(
        x_train,
        y_train,
        x_test,
        y_test,
        task="multiclass",
        num_classes=2,
        mask_value=cfg.mask_value,
    )
