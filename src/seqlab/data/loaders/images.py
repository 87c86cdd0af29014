"""MNIST and Fashion-MNIST through the keras.datasets formats, each image read as rows.

A 28x28 image becomes 28 time steps of 28 pixels scaled to [0, 1], as seeds 002 and
004 do. MNIST is one `mnist.npz`; Fashion-MNIST is four gzipped IDX files in a
folder (`dataset.path` then names the folder).
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass

import numpy as np

from seqlab.data.keras_files import locate
from seqlab.data.registry import LoadedSplits, register_dataset
from seqlab.data.safe_npz import read_npz
from seqlab.errors import DataError
from seqlab.schema.options import DatasetConfig

MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
FASHION_FILES = [
    "train-labels-idx1-ubyte.gz",
    "train-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
]


@dataclass
class ImageRowsConfig(DatasetConfig):
    pass


def _as_rows(x: np.ndarray, y: np.ndarray, source: str) -> tuple[np.ndarray, np.ndarray]:
    if x.ndim != 3 or len(x) != len(y):
        raise DataError(
            f"{source} does not hold images: expected (n, height, width) images and n "
            f"labels, found {x.shape} and {y.shape}."
        )
    # Anything but real pixels and whole-number labels goes on as it is, for the data
    # check to refuse (a cast would drop a complex pixel's imaginary part silently).
    if x.dtype.kind in "biuf":
        x = x.astype("float32") / 255.0
    if y.dtype.kind in "biu":
        y = y.astype("int64")
    return x, y


def read_mnist_npz(path: str) -> tuple[np.ndarray, ...]:
    found = read_npz(path, "MNIST")
    missing = {"x_train", "y_train", "x_test", "y_test"} - set(found)
    if missing:
        raise DataError(
            f"{path} is not mnist.npz: the arrays {sorted(missing)} are missing "
            f"(found {sorted(found)})."
        )
    return found["x_train"], found["y_train"], found["x_test"], found["y_test"]


def read_idx_gz(path: str, offset: int) -> np.ndarray:
    """Read a gzipped IDX file (8-byte header for labels, 16-byte for images)."""
    try:
        with gzip.open(path, "rb") as f:
            return np.frombuffer(f.read(), np.uint8, offset=offset)
    except (OSError, EOFError, ValueError) as exc:
        raise DataError(f"{path} is not a readable gzipped IDX file ({exc}).") from None


@register_dataset("mnist", ImageRowsConfig, reads_files=True)
def load_mnist(cfg: ImageRowsConfig) -> LoadedSplits:
    (path,) = locate("mnist", ["mnist.npz"], path=cfg.path, sha256={"mnist.npz": MNIST_SHA256})
    x_train, y_train, x_test, y_test = read_mnist_npz(str(path))
    x_train, y_train = _as_rows(x_train, y_train, str(path))
    x_test, y_test = _as_rows(x_test, y_test, str(path))
    return LoadedSplits(x_train, y_train, x_test, y_test, task="multiclass", num_classes=10)


@register_dataset("fashion_mnist", ImageRowsConfig, reads_files=True)
def load_fashion_mnist(cfg: ImageRowsConfig) -> LoadedSplits:
    paths = locate("fashion_mnist", FASHION_FILES, path=cfg.path, cache_subdir="fashion-mnist")
    y_train = read_idx_gz(str(paths[0]), 8)
    x_train = read_idx_gz(str(paths[1]), 16)
    y_test = read_idx_gz(str(paths[2]), 8)
    x_test = read_idx_gz(str(paths[3]), 16)
    splits = []
    for x, y, p in ((x_train, y_train, paths[1]), (x_test, y_test, paths[3])):
        if len(y) == 0 or x.size != len(y) * 28 * 28:
            raise DataError(
                f"{p} holds {x.size} pixels for {len(y)} labels; Fashion-MNIST images are "
                "28x28. The files may be truncated or mismatched."
            )
        splits.append(_as_rows(x.reshape(len(y), 28, 28), y, str(p)))
    (x_train, y_train), (x_test, y_test) = splits
    return LoadedSplits(x_train, y_train, x_test, y_test, task="multiclass", num_classes=10)
