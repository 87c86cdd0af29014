"""The NumPy pipeline every backend can use: orders, streams across passes, chunk groups."""

from __future__ import annotations

import numpy as np
import pytest

from seqlab.data.arrays import batches, batches_per_pass, chunk_batches, pass_order
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


def _served(pipeline, dataset, count: int) -> list[np.ndarray]:
    """The first `count` elements a training stream serves, as NumPy arrays."""
    if pipeline == "numpy":
        return [np.concatenate([np.ravel(a) for a in dataset[i]]) for i in range(count)]
    return [np.concatenate([np.ravel(t.numpy()) for t in b]) for b in dataset.take(count)]


def _module(pipeline):
    if pipeline == "numpy":
        from seqlab.data import arrays

        return arrays
    from seqlab.backends import tensorflow

    return tensorflow


@pytest.mark.parametrize("pipeline", ["numpy", "tf.data"])
@pytest.mark.parametrize(
    "options",
    [{}, {"steps": 4}, {"shuffle_buffer": 3, "drop_remainder": True}, {"chunked": True},
     {"chunked": True, "groups_per_epoch": 3}],
)  # fmt: skip
def test_the_stream_from_epoch_k_serves_what_an_uninterrupted_stream_serves_in_epoch_k(
    pipeline, options
):
    """A resumed fit starts the stream at its first epoch: the batches must be those the
    uninterrupted run gets there, and the first batch the one start.data_order names."""
    module, x = _module(pipeline), np.arange(10, dtype="float32")
    if options.get("chunked"):
        layout = ChunkLayout(batch_size=2, chunk_length=3, chunks=2)
        xs, groups = (
            np.arange(10 * 6, dtype="float32").reshape(10, 6, 1),
            options.get("groups_per_epoch"),
        )
        per_epoch = (groups or 5) * layout.chunks

        def stream(first):
            return module.chunk_batches(
                xs, x, layout, shuffle_seed=7, groups_per_epoch=groups, first_epoch=first
            )

        first_rows = xs[module.first_batch(10, 2, 7, None)][:, :3]
    else:
        kw = {k: v for k, v in options.items()}
        per_epoch = kw.get("steps") or batches_per_pass(10, 4, kw.get("drop_remainder", False))

        def stream(first):
            return module.batches(x, x, 4, shuffle_seed=7, first_epoch=first, **kw)

        first_rows = x[module.first_batch(10, 4, 7, kw.get("shuffle_buffer"))]
    whole = _served(pipeline, stream(0), 4 * per_epoch)
    for k in (1, 3):
        resumed = _served(pipeline, stream(k), per_epoch)
        for got, want in zip(resumed, whole[k * per_epoch :], strict=False):
            np.testing.assert_array_equal(got, want)
    epochs = [np.concatenate(whole[e * per_epoch : (e + 1) * per_epoch]) for e in range(4)]
    assert not np.array_equal(epochs[0], epochs[1])  # reshuffled
    served_first = _served(pipeline, stream(0), 1)[0][: first_rows.size]
    np.testing.assert_array_equal(served_first, np.ravel(first_rows))


def test_fit_trains_on_the_numpy_pipelines_pass_0_first_as_its_fingerprint_says():
    """Keras calls a PyDataset's on_epoch_end once before the first epoch: an epoch count
    kept by the dataset served pass 1 first (and a resumed process counted from 0)."""
    import keras

    from seqlab.data import arrays

    trained_on = []

    class Recording(keras.Sequential):
        def train_step(self, data):
            trained_on.append(np.ravel(keras.ops.convert_to_numpy(data[0])))
            return super().train_step(data)

    x = np.arange(12, dtype="float32")[:, None]
    model = Recording([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse", run_eagerly=True)
    data = arrays.batches(x, x, 4, shuffle_seed=0, first_epoch=0)
    model.fit(data, epochs=2, steps_per_epoch=3, shuffle=False, verbose=0)
    np.testing.assert_array_equal(trained_on[0], arrays.first_batch(12, 4, 0, None))
    for epoch in (0, 1):  # a pass per epoch
        assert sorted(np.concatenate(trained_on[3 * epoch : 3 * epoch + 3])) == list(range(12))


@pytest.mark.parametrize("chunked", [False, True])
def test_tf_data_orders_do_not_depend_on_tensorflows_global_seed_not_even_0(chunked):
    import tensorflow as tf

    from seqlab.backends import tensorflow as pipeline

    x = np.arange(12 * 6, dtype="float32").reshape(12, 6, 1)
    layout = ChunkLayout(batch_size=2, chunk_length=3, chunks=2)
    served = []
    for global_seed in (0, 5):  # trainer.seed=0 sets a global seed of 0
        tf.random.set_seed(global_seed)
        if chunked:
            ds = pipeline.chunk_batches(x, x[:, 0, 0], layout, shuffle_seed=0, first_epoch=0)
        else:
            ds = pipeline.batches(x, x[:, 0, 0], 4, shuffle_seed=0, first_epoch=0)
        served.append((_served("tf.data", ds, 12), pipeline.first_batch(12, 4, 0, None)))
    for got, want in zip(served[0][0], served[1][0], strict=True):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(served[0][1], served[1][1])
