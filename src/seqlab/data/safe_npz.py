"""Reading `.npz` files without running code from them.

`np.load(..., allow_pickle=True)` unpickles object arrays, and unpickling runs
whatever a file says (a pickle renamed `imdb.npz` runs its payload). IMDB's
keras.datasets file needs object arrays (reviews of different lengths), so seqlab
reads every `.npy` member itself: plain arrays with `allow_pickle=False`, object
arrays with an unpickler that builds nothing but NumPy arrays and Python's plain
containers and numbers. Anything else is refused before it is built.
"""

from __future__ import annotations

import pickle
import zipfile
from pathlib import Path

import numpy as np

from seqlab.errors import DataError

# What pickling a NumPy object array needs, and nothing else.
ALLOWED_GLOBALS = {
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
}


class NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickles NumPy arrays of lists/ints/strings; refuses every other global."""

    def find_class(self, module: str, name: str):
        if (module, name) in ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a data file")


def read_npz(path: str | Path, dataset: str) -> dict[str, np.ndarray]:
    """Every array of the `.npz` file `path`, read without executing anything."""
    path = Path(path)
    how = f"Point dataset.path at a real {dataset} file in the keras.datasets format."
    if not zipfile.is_zipfile(path):
        raise DataError(
            f"{path} is not an .npz file: an .npz is a zip archive, and this file is not one "
            f"(it may be truncated, or another kind of file renamed). {how}"
        )
    arrays = {}
    try:
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                if not member.endswith(".npy"):
                    continue
                with archive.open(member) as f:
                    arrays[member[: -len(".npy")]] = _read_npy(f)
    except pickle.UnpicklingError as exc:
        raise DataError(
            f"{path} was refused: an object array in it asks to build something other than "
            f"NumPy arrays ({exc}), which could run code. {how}"
        ) from None
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, TypeError) as exc:
        raise DataError(f"{path} could not be read as an .npz file ({exc}). {how}") from None
    return arrays


def _read_npy(f) -> np.ndarray:
    version = np.lib.format.read_magic(f)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
    elif version == (2, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
    else:
        raise ValueError(f"unsupported .npy format version {version}")
    if not dtype.hasobject:
        count = int(np.prod(shape))
        data = np.frombuffer(bytearray(f.read(count * dtype.itemsize)), dtype=dtype, count=count)
        return data.reshape(shape, order="F" if fortran else "C")
    array = NumpyOnlyUnpickler(f).load()
    if not isinstance(array, np.ndarray) or array.shape != tuple(shape):
        raise ValueError(f"an object array of shape {shape} was expected")
    return array
