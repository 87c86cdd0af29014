"""Loaders: shapes, tasks, splits, and the real keras.datasets formats on small files."""

from __future__ import annotations

import time

import numpy as np
import pytest

from seqlab.config import validate
from seqlab.data import DATASETS, load_dataset
from seqlab.data.splits import holdout
from seqlab.errors import DataError
from seqlab.models.cudnn import mask_reasons

from .keras_fixtures import (
    write_fashion_dir,
    write_imdb_arr_npz,
    write_imdb_npz,
    write_mnist_npz,
)


def load(compose_cfg, *overrides):
    return load_dataset(validate(compose_cfg(*overrides)).dataset)


def test_digits_are_8_steps_of_8_pixels_with_disjoint_splits(compose_cfg):
    data = load(compose_cfg)
    assert data.x_train.shape[1:] == (8, 8) and data.task == "multiclass"
    assert data.num_classes == 10 and data.x_train.min() >= 0.0 and data.x_train.max() <= 1.0
    sizes = data.sizes()
    assert sum(sizes.values()) == 1797
    assert sizes["test"] == round(1797 * 0.2)
    rows = {arr.tobytes() for arr in data.x_train}
    assert not any(arr.tobytes() in rows for arr in data.x_val)


def test_holdout_is_deterministic_and_independent_of_training_seed():
    x = np.arange(100)
    (a_train, _), (a_held, _) = holdout(x, x, 0.1, seed=0)
    (_, _), (b_held, _) = holdout(x, x, 0.1, seed=0)
    (_, _), (c_held, _) = holdout(x, x, 0.1, seed=1)
    assert np.array_equal(a_held, b_held) and len(a_held) == 10
    assert not np.array_equal(a_held, c_held)
    assert set(a_train) | set(a_held) == set(range(100))


def test_limit_uses_the_first_examples(compose_cfg):
    data = load(compose_cfg, "dataset=adding", "dataset.limit=50", "dataset.n_train=500")
    assert len(data.x_train) + len(data.x_val) == 50
    assert len(data.x_test) == 50


def test_toy_sequences_follow_seed_002(compose_cfg):
    data = load(compose_cfg, "dataset=toy_sequences", "dataset.n_train=400", "dataset.n_test=0")
    x = np.concatenate([data.x_train, data.x_val])[..., 0]
    y = np.concatenate([data.y_train, data.y_val])
    assert x.shape[1] == 20 and data.mask_value == -1.0
    lengths = (x != -1.0).sum(axis=1)
    assert lengths.min() >= 5 and lengths.max() <= 19
    assert mask_reasons(data.masks(), None) == []  # post-padding: cuDNN-compatible masks
    for row, label, n in zip(x, y, lengths, strict=True):
        steps = np.diff(np.rint(row[:n] * 10000))
        assert (label == 0) == bool(np.all(steps == 1))
    assert 0.35 < y.mean() < 0.65


def test_adding_target_is_the_sum_of_the_two_marked_values(compose_cfg):
    data = load(compose_cfg, "dataset=adding", "dataset.length=30", "dataset.n_train=200")
    assert data.task == "regression" and data.x_train.shape[1:] == (30, 2)
    markers = data.x_train[..., 1]
    assert np.all(markers.sum(axis=1) == 2)
    assert np.all(markers[:, :15].sum(axis=1) == 1)
    marked = (data.x_train[..., 0] * markers).sum(axis=1)
    np.testing.assert_allclose(marked, data.y_train, rtol=1e-6)


def test_imdb_processing_matches_keras_load_data(compose_cfg, tmp_path, monkeypatch):
    """The real keras.datasets.imdb.load_data on the same file gives the same tokens."""
    import keras
    from keras.src.datasets import imdb as keras_imdb

    path = write_imdb_npz(tmp_path / "imdb.npz")
    monkeypatch.setattr(keras_imdb, "get_file", lambda *a, **k: str(path))
    (kx_train, ky_train), (kx_test, _) = keras.datasets.imdb.load_data(num_words=100)
    overrides = [
        "dataset=imdb",
        f"dataset.path={path}",
        "dataset.num_words=100",
        "dataset.maxlen=25",
    ]
    data = load(compose_cfg, *overrides, "dataset.validation=test")
    expected = keras.utils.pad_sequences(kx_test, maxlen=25)
    np.testing.assert_array_equal(data.x_val, expected)
    assert data.vocab_size == 100 and data.x_val.max() < 100
    # Without validation=test the training reviews are split, in keras's order.
    data = load(compose_cfg, *overrides)
    assert len(data.x_train) + len(data.x_val) == len(kx_train) == len(ky_train)


def test_imdb_accepts_the_arr_layout_and_post_padding(compose_cfg, tmp_path):
    path = write_imdb_arr_npz(tmp_path / "sample.npz")
    data = load(
        compose_cfg,
        "dataset=imdb",
        f"dataset.path={path}",
        "dataset.num_words=200",
        "dataset.maxlen=12",
        "dataset.padding=post",
        "dataset.truncating=post",
        "dataset.mask_padding=true",
    )
    assert data.x_train.shape[1] == 12 and data.x_train.max() < 200
    assert np.all(data.x_train[:, 0] == 1)  # start token kept, padding after it
    assert data.mask_zero and mask_reasons(data.masks(), None) == []
    pre = load(
        compose_cfg,
        "dataset=imdb",
        f"dataset.path={path}",
        "dataset.mask_padding=true",
        "dataset.maxlen=40",
    )
    assert "right-padded" in " ".join(mask_reasons(pre.masks(), None))  # pre-padding


def test_mnist_and_fashion_match_keras_load_data(compose_cfg, tmp_path, monkeypatch):
    import keras
    from keras.src.datasets import fashion_mnist as keras_fashion

    npz = write_mnist_npz(tmp_path / "mnist.npz")
    data = load(compose_cfg, "dataset=mnist", f"dataset.path={npz}", "dataset.validation=test")
    with np.load(npz) as f:
        np.testing.assert_allclose(data.x_val, f["x_test"] / 255.0, rtol=1e-6)
    assert data.x_train.shape[1:] == (28, 28)

    folder = write_fashion_dir(tmp_path / "fashion")
    monkeypatch.setattr(keras_fashion, "get_file", lambda fname, **k: str(folder / fname))
    (_, _), (kx_test, ky_test) = keras.datasets.fashion_mnist.load_data()
    data = load(
        compose_cfg, "dataset=fashion_mnist", f"dataset.path={folder}", "dataset.validation=test"
    )
    np.testing.assert_allclose(data.x_val, kx_test / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(data.y_val, ky_test)


@pytest.mark.parametrize("name", ["imdb", "mnist", "fashion_mnist"])
def test_impossible_download_fails_fast_and_says_how_to_supply_the_file(compose_cfg, name):
    start = time.perf_counter()
    with pytest.raises(DataError) as info:
        load(compose_cfg, f"dataset={name}")
    assert time.perf_counter() - start < 10
    message = str(info.value)
    assert "dataset.path=" in message and "Keras cache" in message
    assert ("imdb.npz" if name == "imdb" else "mnist.npz" if name == "mnist" else "idx") in message


def test_missing_corrupt_and_mismatched_files_are_clear_errors(compose_cfg, tmp_path):
    with pytest.raises(DataError, match="not found"):
        load(compose_cfg, "dataset=imdb", f"dataset.path={tmp_path / 'nope.npz'}")
    corrupt = tmp_path / "corrupt.npz"
    corrupt.write_bytes(b"PK\x03\x04 definitely not a zip")
    with pytest.raises(DataError, match=r"is not an \.npz file"):
        load(compose_cfg, "dataset=imdb", f"dataset.path={corrupt}")
    mnist_file = write_mnist_npz(tmp_path / "mnist.npz")
    with pytest.raises(DataError, match="one token sequence per review"):
        load(compose_cfg, "dataset=imdb", f"dataset.path={mnist_file}")
    folder = write_fashion_dir(tmp_path / "fashion")
    (folder / "t10k-images-idx3-ubyte.gz").write_bytes(b"\x1f\x8b broken")
    with pytest.raises(DataError, match="t10k-images"):
        load(compose_cfg, "dataset=fashion_mnist", f"dataset.path={folder}")


def test_every_registered_dataset_has_a_yaml_file(compose_cfg):
    for name in DATASETS:
        assert validate(compose_cfg(f"dataset={name}")).dataset.name == name


class _Payload:
    """Unpickling this runs `touch <marker>`: what a malicious data file would do."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.marker}",))


def test_a_pickle_payload_in_a_data_file_is_refused_without_running(compose_cfg, tmp_path):
    import pickle
    import zipfile

    marker = tmp_path / "payload_ran"
    # 1. A raw pickle renamed imdb.npz.
    raw = tmp_path / "raw.npz"
    raw.write_bytes(pickle.dumps(_Payload(marker)))
    with pytest.raises(DataError, match=r"not an \.npz file"):
        load(compose_cfg, "dataset=imdb", f"dataset.path={raw}")
    # 2. A real zip whose x_train.npy is an object array carrying the payload.
    good = write_imdb_npz(tmp_path / "good.npz")
    evil = tmp_path / "evil.npz"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(evil, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "x_train.npy":
                reviews = np.empty(2, dtype=object)
                reviews[0], reviews[1] = [1, 2, 3], _Payload(marker)
                import io

                buffer = io.BytesIO()
                np.save(buffer, reviews, allow_pickle=True)
                data = buffer.getvalue()
            dst.writestr(name, data)
    with pytest.raises(DataError, match=r"posix\.system is not allowed|refused"):
        load(compose_cfg, "dataset=imdb", f"dataset.path={evil}")
    assert not marker.exists()  # nothing ran
    # The check is not a coincidence of this file: NumPy itself would have run it.
    with np.load(evil, allow_pickle=True) as f:
        f["x_train"]
    assert marker.exists()


def test_a_text_file_renamed_npz_is_a_clear_error(compose_cfg, tmp_path):
    text = tmp_path / "imdb.npz"
    text.write_text("these are not the reviews you are looking for\n")
    with pytest.raises(DataError, match=r"is not an \.npz file"):
        load(compose_cfg, "dataset=imdb", f"dataset.path={text}")


def _imdb_with(tmp_path, review):
    reviews = np.empty(3, dtype=object)
    reviews[0], reviews[1], reviews[2] = [5, 6, 7], review, [8, 9]
    path = tmp_path / "ids.npz"
    np.savez(path, reviews, np.array([0, 1, 0]), reviews, np.array([1, 0, 1]))
    return path


@pytest.mark.parametrize(
    ("review", "message"),
    [(["great", "movie"], "token ids must be integers"), ([4, -7, 9], "negative token id -7")],
)
def test_token_ids_that_are_not_non_negative_integers_are_refused(
    compose_cfg, tmp_path, review, message
):
    path = _imdb_with(tmp_path, review)
    with pytest.raises(DataError, match=message):
        load(compose_cfg, "dataset=imdb", f"dataset.path={path}", "dataset.validation=test")


def test_ids_beyond_the_vocabulary_become_the_oov_id_as_in_keras(compose_cfg, tmp_path):
    path = _imdb_with(tmp_path, [3, 50, 999])
    data = load(
        compose_cfg,
        "dataset=imdb",
        f"dataset.path={path}",
        "dataset.num_words=10",
        "dataset.maxlen=3",
        "dataset.validation=test",
    )
    assert data.x_train.max() < 10
    assert data.x_train[1].tolist() == [3, 2, 2]  # 50 and 999 -> OOV (2), never wrapped
