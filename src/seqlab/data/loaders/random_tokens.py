"""Random token sequences with random binary labels: IMDB-shaped input for benchmarks.

Nothing can be learnt from it (validation accuracy stays near 0.5); it exists so
that timing sweeps run anywhere, offline, on input of a chosen shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from seqlab.data.registry import LoadedSplits, register_dataset
from seqlab.schema.options import DatasetConfig
from seqlab.schema.rules import at_least


@dataclass
class RandomTokensConfig(DatasetConfig):
    vocab_size: int = field(default=10000, metadata=at_least(2))
    length: int = field(default=80, metadata=at_least(1))
    n_train: int = field(default=6400, metadata=at_least(2))
    n_test: int = field(default=1280, metadata=at_least(0))
    seed: int = 0


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
