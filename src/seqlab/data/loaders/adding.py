"""The adding problem (Hochreiter & Schmidhuber 1997), a regression task.

Channel 0 holds uniform random values in [0, 1); channel 1 marks two steps with 1,
one in each half of the sequence. The target is the sum of the two marked values,
so the network must remember a value for up to `length` steps. Always predicting
the mean (1.0) gives an MSE of about 0.167, the baseline to beat.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from seqlab.data.registry import LoadedSplits, register_dataset
from seqlab.schema.options import DatasetConfig
from seqlab.schema.rules import at_least


@dataclass
class AddingConfig(DatasetConfig):
    length: int = field(default=100, metadata=at_least(2))
    n_train: int = field(default=10000, metadata=at_least(2))
    n_test: int = field(default=1000, metadata=at_least(0))
    seed: int = 0


def generate(length: int, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Return x (n, length, 2) float32 and y (n,) float32."""
    values = rng.random((n, length))
    half = length // 2
    first = rng.integers(0, half, size=n)
    second = rng.integers(half, length, size=n)
    markers = np.zeros((n, length))
    rows = np.arange(n)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    y = values[rows, first] + values[rows, second]
    return np.stack([values, markers], axis=-1).astype("float32"), y.astype("float32")


@register_dataset("adding", AddingConfig)
def load_adding(cfg: AddingConfig) -> LoadedSplits:
    rng = np.random.default_rng(cfg.seed)
    x_train, y_train = generate(cfg.length, cfg.n_train, rng)
    x_test, y_test = generate(cfg.length, cfg.n_test, rng) if cfg.n_test else (None, None)
    return LoadedSplits(x_train, y_train, x_test, y_test, task="regression")
