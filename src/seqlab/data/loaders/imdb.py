"""IMDB movie-review sentiment through the keras.datasets format, padded as the seeds do.

Two file layouts are accepted:
- the official `imdb.npz` (arrays x_train, y_train, x_test, y_test of raw word
  ranks), processed exactly as `keras.datasets.imdb.load_data` does: shuffled with
  seed 113, start token 1 prepended, ids offset by 3, ids >= num_words -> 2 (OOV);
- arrays arr_0..arr_3 (x_train, y_train, x_test, y_test) already tokenized that way,
  as `np.savez(path, x_train, y_train, x_test, y_test)` writes them; only the
  num_words cut is applied.
Reviews are then cut/padded to `maxlen` tokens with `keras.utils.pad_sequences`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from seqlab.data.keras_files import locate
from seqlab.data.registry import LoadedSplits, register_dataset
from seqlab.data.safe_npz import read_npz
from seqlab.errors import DataError
from seqlab.schema.options import DatasetConfig
from seqlab.schema.rules import at_least, one_of

IMDB_SHA256 = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
START, OOV, INDEX_FROM, SHUFFLE_SEED = 1, 2, 3, 113
KEYS = ("x_train", "y_train", "x_test", "y_test")
ARR_KEYS = ("arr_0", "arr_1", "arr_2", "arr_3")
PAD_SIDES = ("pre", "post")
MAX_ID = np.iinfo(np.int32).max - INDEX_FROM  # ids are padded into int32 arrays


@dataclass
class ImdbConfig(DatasetConfig):
    # Keep the num_words most frequent words; rarer ones become the OOV id 2.
    num_words: int | None = field(default=10000, metadata=at_least(4, optional=True))
    maxlen: int = field(default=80, metadata=at_least(1))
    padding: str = field(default="pre", metadata=one_of(PAD_SIDES))
    truncating: str = field(default="pre", metadata=one_of(PAD_SIDES))
    # Mask the padding id 0 (Embedding(mask_zero=True)). Off in the seeds; note
    # that pre-padding masks are not right-padded, which rules out cuDNN.
    mask_padding: bool = False


def read_imdb_file(path: str, num_words: int | None):
    """Return (x_train, y_train, x_test, y_test) as keras.datasets.imdb.load_data would.

    The file is read without unpickling anything but NumPy arrays
    (`seqlab.data.safe_npz`); token ids must be integers >= 0, and ids at or beyond
    `num_words` become the OOV id 2, as Keras's own loader does.
    """
    found = read_npz(path, "IMDB")
    names = set(found)
    if set(KEYS) <= names:
        arrays, tokenized = [found[k] for k in KEYS], False
    elif set(ARR_KEYS) <= names:
        arrays, tokenized = [found[k] for k in ARR_KEYS], True
    else:
        raise DataError(
            f"{path} is not an IMDB file in the keras.datasets format: it has the "
            f"arrays {sorted(names)}, but x_train, y_train, x_test, y_test (or "
            "arr_0..arr_3) are needed. Point dataset.path at imdb.npz."
        )
    x_train, y_train, x_test, y_test = arrays
    if y_train.ndim != 1 or y_test.ndim != 1:
        raise DataError(
            f"{path} does not hold IMDB labels: y_train and y_test must hold one label per "
            f"review, found arrays of shape {y_train.shape} and {y_test.shape}. Point "
            "dataset.path at imdb.npz."
        )
    if x_train.ndim != 1 or x_test.ndim != 1 or y_train.ndim != 1:
        raise DataError(
            f"{path} does not hold IMDB reviews: x_train and x_test must hold one token "
            f"sequence per review, found arrays of shape {x_train.shape} and {x_test.shape} "
            "(is this another dataset's file?). Point dataset.path at imdb.npz."
        )
    if len(x_train) != len(y_train) or len(x_test) != len(y_test):
        raise DataError(
            f"{path} is inconsistent: {len(x_train)} training reviews but {len(y_train)} "
            f"labels, {len(x_test)} test reviews but {len(y_test)} labels."
        )
    x_train = _token_ids(x_train, path, "x_train")
    x_test = _token_ids(x_test, path, "x_test")
    if not tokenized:
        rng = np.random.RandomState(SHUFFLE_SEED)
        order = np.arange(len(x_train))
        rng.shuffle(order)
        x_train, y_train = [x_train[i] for i in order], y_train[order]
        order = np.arange(len(x_test))
        rng.shuffle(order)
        x_test, y_test = [x_test[i] for i in order], y_test[order]
        x_train = [np.concatenate([[START], x + INDEX_FROM]) for x in x_train]
        x_test = [np.concatenate([[START], x + INDEX_FROM]) for x in x_test]
    if num_words is not None:
        x_train = [np.where(x < num_words, x, OOV) for x in x_train]
        x_test = [np.where(x < num_words, x, OOV) for x in x_test]
    labels = np.concatenate([y_train, y_test])
    if labels.dtype.kind not in "iub" or not np.isin(labels, (0, 1)).all():
        raise DataError(
            f"{path}: IMDB labels must be the integers 0 or 1 (keras.datasets.imdb stores "
            f"them as int64), and this file has {labels.dtype} labels with the values "
            f"{np.unique(labels)[:10].tolist()}. Convert them (y.astype('int64')) or point "
            "dataset.path at the original file."
        )
    return list(x_train), y_train.astype("int64"), list(x_test), y_test.astype("int64")


def _token_ids(reviews: np.ndarray, path: str, name: str) -> list[np.ndarray]:
    """Each review as an int64 array; anything but non-negative integers is a DataError."""
    out = []
    for index, review in enumerate(reviews):
        try:
            ids = np.asarray(review)
        except (ValueError, TypeError):  # a ragged nested list: no array of ids at all
            ids = np.asarray([], dtype=object).reshape(0, 0)
        if ids.ndim != 1 or (ids.size and ids.dtype.kind not in "iu"):
            sample = ids.ravel()[:3].tolist() if ids.size else []
            raise DataError(
                f"{path}: review {index} of {name} holds {sample!r}... ({ids.dtype}); token "
                "ids must be integers (word indices, as keras.datasets.imdb stores them). "
                "Tokenize the text into integer ids before saving the file."
            )
        if ids.size and ids.min() < 0:
            raise DataError(
                f"{path}: review {index} of {name} has the negative token id {int(ids.min())}; "
                "ids must be >= 0 (a negative id would silently index another word's "
                "embedding). Fix the file's tokenization."
            )
        # Compared before any cast: an id that a cast or the +3 offset would wrap into
        # another (or a negative) id. The padded arrays are int32, as Keras pads them.
        if ids.size and int(ids.max()) > MAX_ID:
            raise DataError(
                f"{path}: review {index} of {name} has the token id {int(ids.max())}, beyond "
                f"the largest id seqlab can hold ({MAX_ID}, int32 after the offset of "
                f"{INDEX_FROM}); a vocabulary is far smaller. Fix the file's tokenization."
            )
        out.append(ids.astype("int64"))
    return out


@register_dataset("imdb", ImdbConfig, reads_files=True)
def load_imdb(cfg: ImdbConfig) -> LoadedSplits:
    from keras.utils import pad_sequences

    (path,) = locate("imdb", ["imdb.npz"], path=cfg.path, sha256={"imdb.npz": IMDB_SHA256})
    x_train, y_train, x_test, y_test = read_imdb_file(str(path), cfg.num_words)

    def pad(reviews: list) -> np.ndarray:
        return pad_sequences(
            reviews, maxlen=cfg.maxlen, padding=cfg.padding, truncating=cfg.truncating
        ).astype("int32")

    x_train, x_test = pad(x_train), pad(x_test)
    vocab = cfg.num_words or int(max(x_train.max(), x_test.max())) + 1
    return LoadedSplits(
        x_train,
        y_train,
        x_test,
        y_test,
        task="binary",
        num_classes=2,
        vocab_size=vocab,
        mask_zero=cfg.mask_padding,
    )
