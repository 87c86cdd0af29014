"""Deterministic hold-out splits."""

from __future__ import annotations

import numpy as np


def holdout(
    x: np.ndarray, y: np.ndarray, fraction: float, *, seed: int
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Split off `fraction` of the examples (at least one) after a permutation seeded by `seed`.

    The same (`len(x)`, `fraction`, `seed`) always gives the same split, whatever
    the training seed, so runs that differ only in trainer.seed are comparable.
    """
    n = len(x)
    n_held = min(n - 1, max(1, round(n * fraction))) if n > 1 else 0
    order = np.random.default_rng(seed).permutation(n)
    keep, held = np.sort(order[n_held:]), np.sort(order[:n_held])
    return (x[keep], y[keep]), (x[held], y[held])
