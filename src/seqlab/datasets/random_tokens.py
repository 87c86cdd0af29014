"""Random token sequences with random binary labels: IMDB-shaped input for benchmarks.

Nothing can be learnt from it (validation accuracy stays near 0.5); it exists so
that timing sweeps run anywhere, offline, on input of a chosen shape.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seqlab.config import DatasetConfig, check_min
from seqlab.datasets.base import LoadedSplits, register_dataset


@dataclass
class RandomTokensConfig(DatasetConfig):
    vocab_size: int = 10000
    length: int = 80
    n_train: int = 6400
    n_test: int = 1280
    seed: int = 0

    def __post_init__(self) -> None:
        super().__post_init__()
        check_min("dataset.vocab_size", self.vocab_size, 2)
        check_min("dataset.length", self.length, 1)
        check_min("dataset.n_train", self.n_train, 2)
        check_min("dataset.n_test", self.n_test, 0)


@register_dataset("random_tokens", RandomTokensConfig)
def load_random_tokens(cfg: RandomTokensConfig) -> LoadedSplits:
    rng = np.random.default_rng(cfg.seed)

    def draw(n: int) -> tuple[np.ndarray, np.ndarray]:
        x = rng.integers(1, cfg.vocab_size, size=(n, cfg.length), dtype="int32")
        return x, rng.integers(0, 2, size=n).astype("int64")

    x_train, y_train = draw(cfg.n_train)
    x_test, y_test = draw(cfg.n_test) if cfg.n_test else (None, None)
    return LoadedSplits(
        x_train, y_train, x_test, y_test, task="binary", num_classes=2, vocab_size=cfg.vocab_size
    )
