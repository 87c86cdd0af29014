"""The batch pipeline every backend can use: NumPy arrays served by a Keras PyDataset.

Batches are cut from a stream of examples: each pass over the data is a fresh
permutation (or, with `trainer.shuffle_buffer`, the order a tf.data-style shuffle
buffer of that size gives), and with `steps_per_epoch` the stream runs on across
passes, as `dataset.shuffle().repeat().batch()` does. Chunked (stateful) training
streams whole groups of sequences, each cut into its consecutive chunk batches
(`seqlab.data.chunks`). Every order derives from the seed, the pass number alone.

Fit reads a shuffled pipeline as one stream from its first epoch on (`first_epoch`),
`steps_per_epoch` batches an epoch, so batch i of epoch e is the same whatever the
process: Keras's own epoch count does not do (its fit calls `on_epoch_end` once more
before the first epoch, and a resumed process counts from 0 again).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from seqlab.data.chunks import ChunkLayout, arrange


def pass_order(n: int, seed: int, number: int, buffer: int | None) -> np.ndarray:
    """The order of pass `number` over `n` examples: a permutation, or what a shuffle
    buffer of `buffer` examples yields (each output drawn at random from the buffer,
    which is refilled in order from the data)."""
    rng = np.random.default_rng([seed, number])
    if buffer is None or buffer >= n:
        return rng.permutation(n)
    window = list(range(buffer))
    order = np.empty(n, dtype=np.int64)
    for i, incoming in enumerate(range(buffer, n)):
        j = int(rng.integers(len(window)))
        order[i], window[j] = window[j], incoming
    order[n - len(window) :] = rng.permutation(window)
    return order


def first_batch(n: int, batch_size: int, seed: int, buffer: int | None) -> np.ndarray:
    """The example indices of the first training batch this pipeline serves."""
    return pass_order(n, seed, 0, buffer)[:batch_size]


def batches_per_pass(n: int, batch_size: int, drop_remainder: bool) -> int:
    return n // batch_size if drop_remainder else math.ceil(n / batch_size)


def _py_dataset():
    import keras

    return keras.utils.PyDataset


class _Batches:
    """A PyDataset of `length` batches per epoch, each made by `make(global index)`.

    The global index counts batches since the first epoch, so a stream that runs on
    across passes (steps_per_epoch) continues where the last epoch stopped.
    """

    def __init__(self, length: int, make: Callable[[int], tuple], continuous: bool) -> None:
        super().__init__()  # PyDataset's own set-up (workers=1, no multiprocessing)
        self.length = length
        self.make = make
        self.continuous = continuous
        self.epoch = 0

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> tuple:
        start = self.epoch * self.length if self.continuous else 0
        return self.make(start + index)

    def on_epoch_end(self) -> None:
        self.epoch += 1


class _Stream(_Batches):
    """Fit's stream: the batches of every epoch from `first_epoch` on, without end (fit
    reads `length` of them per epoch, through one iterator)."""

    def __init__(self, length: int, make: Callable[[int], tuple], first_epoch: int) -> None:
        super().__init__(length, make, continuous=True)
        self.start = first_epoch * length

    @property
    def num_batches(self) -> None:
        return None  # no end: Keras keeps one iterator across epochs

    def __getitem__(self, index: int) -> tuple:
        return self.make(self.start + index)


def _dataset(
    length: int, make: Callable[[int], tuple], continuous: bool, first_epoch: int | None = None
):
    if first_epoch is not None:
        cls = type("ArrayStream", (_Stream, _py_dataset()), {})
        return cls(length, make, first_epoch)
    cls = type("ArrayBatches", (_Batches, _py_dataset()), {})
    return cls(length, make, continuous)


def batches(
    x: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    *,
    shuffle_seed: int | None = None,
    shuffle_buffer: int | None = None,
    drop_remainder: bool = False,
    steps: int | None = None,
    first_epoch: int | None = None,
):
    """(x, y) batches; shuffled every pass when a seed is given; `steps` per epoch run on
    across passes (the stream repeats), else one pass per epoch. With a seed,
    `first_epoch` makes fit's stream from that epoch on (see the module docstring)."""
    n = len(x)
    per_pass = batches_per_pass(n, batch_size, drop_remainder)
    if shuffle_seed is None:

        def make(index: int) -> tuple:
            rows = slice(index * batch_size, (index + 1) * batch_size)
            return x[rows], y[rows]

        return _dataset(steps or per_pass, make, continuous=False)

    orders: dict[int, np.ndarray] = {}

    def order(number: int) -> np.ndarray:
        if number not in orders:
            orders.clear()  # keep the current pass only
            orders[number] = pass_order(n, shuffle_seed, number, shuffle_buffer)
        return orders[number]

    if steps is None:  # one pass per epoch; the pass is the epoch

        def make_epoch(index: int) -> tuple:
            number, position = divmod(index, per_pass)
            rows = order(number)[position * batch_size : (position + 1) * batch_size]
            return x[rows], y[rows]

        return _dataset(per_pass, make_epoch, continuous=True, first_epoch=first_epoch)

    def make_stream(index: int) -> tuple:
        start = index * batch_size
        rows = np.concatenate(
            [
                order(number)[max(0, start - number * n) : start + batch_size - number * n]
                for number in range(start // n, (start + batch_size - 1) // n + 1)
            ]
        )
        return x[rows], y[rows]

    return _dataset(steps, make_stream, continuous=True, first_epoch=first_epoch)


def chunk_batches(
    x: np.ndarray,
    y: np.ndarray,
    layout: ChunkLayout,
    *,
    shuffle_seed: int | None = None,
    groups_per_epoch: int | None = None,
    groups: int | None = None,
    first_epoch: int | None = None,
):
    """(x_chunk, y, weight) chunk batches, in the order `seqlab.data.chunks.arrange` gives.

    With a seed, the sequences are reshuffled into new groups every pass before being
    cut (a group's chunks stay consecutive) and the last partial group is dropped;
    `groups_per_epoch` runs the stream of groups on across passes. Without, every
    sequence is kept (zero-padded, weight 0), in order, or only the first `groups`
    groups (validation_steps/test_steps), so the loss is the mean over exactly the
    sequences scored. With a seed, `first_epoch` makes fit's stream (module docstring).
    """
    b, n = layout.batch_size, layout.chunks
    if shuffle_seed is None:
        if groups is not None:
            x, y = x[: groups * b], y[: groups * b]
        xs, ys, ws = arrange(x, y, layout, pad=True)

        def make(index: int) -> tuple:
            rows = slice(index * b, (index + 1) * b)
            return xs[rows], ys[rows], ws[rows]

        return _dataset(len(xs) // b, make, continuous=False)

    per_pass = len(x) // b
    weights = np.zeros(n, "float32")
    weights[-1] = layout.last_chunk_weight(1, 1)
    cut: dict[int, tuple] = {}

    def group(number: int) -> tuple:
        """Group `number` of the stream, cut into its n chunk batches."""
        if number not in cut:
            cut.clear()
            passes, position = divmod(number, per_pass)
            members = pass_order(len(x), shuffle_seed, passes, None)[
                position * b : (position + 1) * b
            ]
            cut[number] = arrange(x[members], y[members], layout, pad=False)
        return cut[number]

    def make(index: int) -> tuple:
        number, chunk = divmod(index, n)
        xs, ys, _ = group(number)
        rows = slice(chunk * b, (chunk + 1) * b)
        return xs[rows], ys[rows], np.full(b, weights[chunk], "float32")

    length = (groups_per_epoch or per_pass) * n
    return _dataset(length, make, continuous=True, first_epoch=first_epoch)
