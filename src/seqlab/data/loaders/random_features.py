"""Random float features with random labels: any shape, for timing only.

Nothing can be learnt from it; it exists so that timing sweeps run anywhere, offline,
on input of a chosen shape (for example the 1,000 steps of 123 features of the
best-known published cuDNN comparison, `+experiment=rnn_benchmarks_lstm`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from seqlab.data.registry import LoadedSplits, register_dataset
from seqlab.schema.options import DatasetConfig
from seqlab.schema.rules import at_least


@dataclass
class RandomFeaturesConfig(DatasetConfig):
    features: int = field(default=123, metadata=at_least(1))
    length: int = field(default=1000, metadata=at_least(1))
    num_classes: int = field(default=10, metadata=at_least(2))
    n_train: int = field(default=640, metadata=at_least(2))
    n_test: int = field(default=64, metadata=at_least(0))
    seed: int = 0


@register_dataset("random_features", RandomFeaturesConfig)
def load_random_features(cfg: RandomFeaturesConfig) -> LoadedSplits:
    rng = np.random.default_rng(cfg.seed)

    def draw(n: int) -> tuple[np.ndarray, np.ndarray]:
        x = rng.standard_normal((n, cfg.length, cfg.features), dtype="float32")
        return x, rng.integers(0, cfg.num_classes, size=n).astype("int64")

    x_train, y_train = draw(cfg.n_train)
    x_test, y_test = draw(cfg.n_test) if cfg.n_test else (None, None)
    return LoadedSplits(
        x_train, y_train, x_test, y_test, task="multiclass", num_classes=cfg.num_classes
    )
