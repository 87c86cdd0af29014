"""Small files in the exact on-disk formats of keras.datasets, written by the tests."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np


def write_imdb_npz(path: Path, n_train: int = 40, n_test: int = 20, seed: int = 0) -> Path:
    """Like the official imdb.npz: ragged object arrays of raw word ranks (1-based)."""
    rng = np.random.default_rng(seed)

    def reviews(n):
        out = np.empty(n, dtype=object)
        for i in range(n):
            out[i] = list(rng.integers(1, 300, size=rng.integers(3, 30)).tolist())
        return out

    np.savez(
        path,
        x_train=reviews(n_train),
        y_train=rng.integers(0, 2, n_train),
        x_test=reviews(n_test),
        y_test=rng.integers(0, 2, n_test),
    )
    return path


def write_imdb_arr_npz(path: Path, n_train: int = 40, n_test: int = 20, seed: int = 1) -> Path:
    """The arr_0..arr_3 layout: already tokenized (start 1, OOV 2, ids offset by 3)."""
    rng = np.random.default_rng(seed)

    def reviews(n):
        out = np.empty(n, dtype=object)
        for i in range(n):
            out[i] = [1, *rng.integers(3, 500, size=rng.integers(3, 30)).tolist()]
        return out

    np.savez(
        path,
        reviews(n_train),
        rng.integers(0, 2, n_train),
        reviews(n_test),
        rng.integers(0, 2, n_test),
    )
    return path


def write_mnist_npz(path: Path, n_train: int = 64, n_test: int = 32, seed: int = 2) -> Path:
    rng = np.random.default_rng(seed)
    np.savez(
        path,
        x_train=rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        y_train=rng.integers(0, 10, n_train, dtype=np.uint8),
        x_test=rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        y_test=rng.integers(0, 10, n_test, dtype=np.uint8),
    )
    return path


def _idx(labels: np.ndarray | None = None, images: np.ndarray | None = None) -> bytes:
    if labels is not None:
        return struct.pack(">II", 2049, len(labels)) + labels.tobytes()
    return struct.pack(">IIII", 2051, len(images), 28, 28) + images.tobytes()


def write_fashion_dir(folder: Path, n_train: int = 64, n_test: int = 32, seed: int = 3) -> Path:
    """The four gzipped IDX files of Fashion-MNIST, as keras.datasets downloads them."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    parts = {
        "train-labels-idx1-ubyte.gz": _idx(labels=rng.integers(0, 10, n_train, dtype=np.uint8)),
        "train-images-idx3-ubyte.gz": _idx(
            images=rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8)
        ),
        "t10k-labels-idx1-ubyte.gz": _idx(labels=rng.integers(0, 10, n_test, dtype=np.uint8)),
        "t10k-images-idx3-ubyte.gz": _idx(
            images=rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8)
        ),
    }
    for name, payload in parts.items():
        with gzip.open(folder / name, "wb") as f:
            f.write(payload)
    return folder
