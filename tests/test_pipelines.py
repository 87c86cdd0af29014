"""The NumPy pipeline every backend can use: orders, streams across passes, chunk groups."""

from __future__ import annotations

import numpy as np
import pytest

from seqlab.data.arrays import batches, chunk_batches, pass_order
from seqlab.data.chunks import ChunkLayout


def test_pass_orders_are_permutations_that_differ_per_pass_and_repeat_per_seed():
    first, second = pass_order(50, 3, 0, None), pass_order(50, 3, 1, None)
    assert sorted(first) == list(range(50)) and not np.array_equal(first, second)
    assert np.array_equal(first, pass_order(50, 3, 0, None))
    # A buffer of one example cannot reorder anything, as in tf.data.
    assert np.array_equal(pass_order(50, 3, 0, 1), np.arange(50))
    small = pass_order(50, 3, 0, 5)
    assert sorted(small) == list(range(50))
    assert max(abs(i - position) for position, i in enumerate(small)) < 50  # local moves


def _epochs(dataset, epochs):
    out = []
    for _ in range(epochs):
        out.append([dataset[i] for i in range(len(dataset))])
        dataset.on_epoch_end()
    return out


def test_plain_batches_cover_every_example_once_per_epoch_and_reshuffle():
    x = np.arange(10)
    data = batches(x, x * 10, 4, shuffle_seed=0)
    one, two = _epochs(data, 2)
    assert [len(b[0]) for b in one] == [4, 4, 2]
    assert sorted(np.concatenate([b[0] for b in one])) == list(range(10))
    assert not np.array_equal(
        np.concatenate([b[0] for b in one]), np.concatenate([b[0] for b in two])
    )
    for bx, by in one:
        assert np.array_equal(by, bx * 10)  # pairs stay together
    dropped = batches(x, x, 4, shuffle_seed=0, drop_remainder=True)
    assert len(dropped) == 2
    ordered = batches(x, x, 4)
    assert np.array_equal(np.concatenate([b[0] for b in _epochs(ordered, 1)[0]]), x)


def test_steps_per_epoch_streams_on_across_passes_like_repeat():
    x = np.arange(10)
    data = batches(x, x, 4, shuffle_seed=1, steps=3)  # 12 examples per epoch
    stream = np.concatenate([b[0] for epoch in _epochs(data, 5) for b in epoch])
    assert len(stream) == 60
    for number in range(6):  # every pass of 10 is a full permutation
        assert sorted(stream[number * 10 : (number + 1) * 10]) == list(range(10))


def test_chunk_batches_keep_groups_consecutive_and_reshuffle_them():
    layout = ChunkLayout(batch_size=2, chunk_length=3, chunks=2)
    x = np.arange(5 * 6).reshape(5, 6, 1).astype("float32")  # 5 sequences of 6 steps
    y = np.arange(5).astype("float32")
    data = chunk_batches(x, y, layout, shuffle_seed=4)
    assert len(data) == 2 * 2  # 2 whole groups (one sequence dropped) x 2 chunks
    epochs = _epochs(data, 2)
    orders = []
    for epoch in epochs:
        for first, second in zip(epoch[::2], epoch[1::2], strict=True):
            sequences = np.concatenate([first[0], second[0]], axis=1)  # (2, 6, 1)
            seq = (sequences[:, 0, 0] // 6).astype(int)
            np.testing.assert_array_equal(sequences, x[seq])
            np.testing.assert_array_equal(first[1], seq)
            assert first[2].max() == 0 and second[2].min() == layout.chunks  # last scored
            orders.append(tuple(seq))
    assert orders[:2] != orders[2:]
    evaluation = chunk_batches(x, y, layout)  # every sequence, padded, in order
    assert len(evaluation) == 3 * 2
    # Each real sequence's last chunk weighs chunks * padded / real = 2 * 6 / 5.
    sums = [float(b[2].sum()) for b in _epochs(evaluation, 1)[0]]
    assert sums[0::2] == [0, 0, 0] and sums[1::2] == pytest.approx([4.8, 4.8, 2.4])
