"""Seed 002's variable-length toy task: consecutive integers (label 0) vs random ones (1).

Each sequence has a length drawn uniformly from [min_length, max_length), values are
divided by max_value, and the sequence is post-padded to max_length with mask_value,
so the model must mask the padding.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from seqlab.data.registry import LoadedSplits, register_dataset
from seqlab.schema.options import DatasetConfig
from seqlab.schema.rules import at_least, greater_than, outside_unit_interval


@dataclass
class ToySequencesConfig(DatasetConfig):
    n_train: int = field(default=20000, metadata=at_least(2))
    n_test: int = field(default=2000, metadata=at_least(0))
    min_length: int = field(default=5, metadata=at_least(1))
    max_length: int = field(default=20, metadata=greater_than("min_length"))
    max_value: int = field(default=10000, metadata=greater_than("max_length"))
    mask_value: float = field(default=-1.0, metadata=outside_unit_interval())
    seed: int = 0


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
