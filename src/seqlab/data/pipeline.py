"""The batch pipeline of plain (not chunked) runs: tf.data over in-memory arrays."""

from __future__ import annotations

import math

import numpy as np


def batches(
    x: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    *,
    shuffle_seed: int | None = None,
    shuffle_buffer: int | None = None,
    drop_remainder: bool = False,
    repeat: bool = False,
):
    """A tf.data pipeline over (x, y); shuffled (reshuffled each epoch) when a seed is given."""
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle_seed is not None:
        ds = ds.shuffle(shuffle_buffer or len(x), seed=shuffle_seed, reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()
    return ds.batch(batch_size, drop_remainder=drop_remainder).prefetch(tf.data.AUTOTUNE)


def batches_per_pass(n: int, batch_size: int, drop_remainder: bool) -> int:
    return n // batch_size if drop_remainder else math.ceil(n / batch_size)
