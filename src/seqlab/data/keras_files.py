"""Find, download and verify files in the on-disk formats of `keras.datasets`.

Keras's own `get_file` has no timeout and re-downloads any local file whose hash
differs from the official one, which rules out both offline use and small local
samples. This module looks in `dataset.path`, then in the Keras cache, and only
then downloads (with a short timeout), turning every failure into a `DataError`
that says which file was needed, where it was looked for, and how to supply it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import urllib.request
from pathlib import Path

from seqlab.errors import DataError

# Where keras.datasets downloads from; SEQLAB_DATASETS_ORIGIN points at a mirror.
KERAS_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
DOWNLOAD_TIMEOUT_S = 15.0


def keras_cache_dir() -> Path:
    """The folder where keras.datasets caches its files (honours KERAS_HOME)."""
    base = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(base) / "datasets"


def origin() -> str:
    return os.environ.get("SEQLAB_DATASETS_ORIGIN", KERAS_ORIGIN).rstrip("/") + "/"


def locate(
    dataset: str,
    files: list[str],
    *,
    path: str | None,
    cache_subdir: str = "",
    sha256: dict[str, str] | None = None,
) -> list[Path]:
    """Return local paths of `files` for `dataset`, downloading into the cache if needed.

    Args:
        dataset: the dataset's name, for messages.
        files: file names as keras.datasets names them (e.g. ["imdb.npz"]).
        path: the user's `dataset.path`: the file itself when there is one file,
            else a folder holding all `files`. Never downloaded over.
        cache_subdir: subfolder of the Keras cache (fashion-mnist uses one).
        sha256: expected hashes of downloaded files.
    """
    if path is not None:
        given = Path(path).expanduser()
        found = [given] if len(files) == 1 and not given.is_dir() else [given / f for f in files]
        missing = [p for p in found if not p.is_file()]
        if missing:
            raise DataError(
                f"dataset.path={path!r} does not hold the {dataset} data: "
                f"{', '.join(str(p) for p in missing)} not found. " + _how_to_supply(dataset, files)
            )
        return found

    cache = keras_cache_dir() / cache_subdir
    found = []
    for name in files:
        target = cache / name
        if not target.is_file():
            _download(dataset, name, target, (sha256 or {}).get(name), files)
        found.append(target)
    return found


def _how_to_supply(dataset: str, files: list[str]) -> str:
    what = (
        f"the file {files[0]}" if len(files) == 1 else f"a folder with the files {', '.join(files)}"
    )
    return (
        f"Supply {what} in the keras.datasets format with `dataset.path=<path>`, "
        f"or put it in the Keras cache ({keras_cache_dir()}), or allow the download "
        f"from {origin()}."
    )


def _download(dataset: str, name: str, target: Path, sha256: str | None, files: list[str]) -> None:
    url = origin() + name
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{name}.", suffix=".part")
    try:
        with (
            os.fdopen(fd, "wb") as out,
            urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response,
        ):
            shutil.copyfileobj(response, out)
        if sha256 is not None and _sha256(Path(tmp_name)) != sha256:
            raise DataError(
                f"The downloaded {name} for dataset {dataset!r} from {url} does not "
                f"match its published sha256 hash, so it was discarded. "
                + _how_to_supply(dataset, files)
            )
        os.replace(tmp_name, target)
    except OSError as exc:  # URLError, timeouts and refused connections are OSErrors
        raise DataError(
            f"Dataset {dataset!r} needs {name}, which is neither given by dataset.path "
            f"nor in the Keras cache ({target}), and downloading it from {url} failed "
            f"({exc}). " + _how_to_supply(dataset, files)
        ) from None
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
