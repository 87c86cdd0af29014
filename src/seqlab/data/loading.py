"""From a dataset config to train/validation/test arrays: load, limit, split."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from seqlab.data.registry import DATASETS, TASKS
from seqlab.data.splits import holdout
from seqlab.schema.options import DatasetConfig


def digest(arrays: list[np.ndarray], *, size: int = 8) -> str:
    """A short hash of arrays: dtype, shape and bytes of each, in order."""
    h = hashlib.blake2b(digest_size=size)
    for array in arrays:
        array = np.ascontiguousarray(array)
        h.update(f"{array.dtype.str}{array.shape}".encode())
        h.update(array.tobytes() if array.size == 0 else memoryview(array).cast("B"))
    return h.hexdigest()


@dataclass
class SequenceData:
    """Train/validation(/test) arrays ready for `model.fit`, plus what the model needs."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray | None
    y_test: np.ndarray | None
    task: str
    num_classes: int | None
    vocab_size: int | None
    mask_value: float | None
    mask_zero: bool
    # "split" (held out from train) or "test" (the test split doubles as validation).
    validation: str
    source: str | None = None  # the file it came from (dataset.path), for messages

    @property
    def timesteps(self) -> int:
        return int(self.x_train.shape[1])

    @property
    def features(self) -> int | None:
        """Features per time step, or None for token ids."""
        return None if self.vocab_size is not None else int(self.x_train.shape[2])

    @property
    def masked(self) -> bool:
        return self.mask_zero or self.mask_value is not None

    def masks(self) -> list[np.ndarray]:
        """The (examples, time) boolean masks of every split; empty when unmasked."""
        if self.mask_zero:
            return [x != 0 for x in self._inputs()]
        if self.mask_value is not None:
            return [(x != self.mask_value).any(axis=-1) for x in self._inputs()]
        return []

    def _inputs(self) -> list[np.ndarray]:
        return [x for x in (self.x_train, self.x_val, self.x_test) if x is not None]

    def fingerprint(self) -> str:
        """A short hash of every split's arrays (dtype, shape, bytes): the data's identity."""
        arrays = [self.x_train, self.y_train, self.x_val, self.y_val]
        arrays += [a for a in (self.x_test, self.y_test) if a is not None]
        return digest(arrays)

    def sizes(self) -> dict[str, int]:
        sizes = {"train": len(self.x_train), "val": len(self.x_val)}
        if self.x_test is not None:
            sizes["test"] = len(self.x_test)
        return sizes

    def summary(self) -> dict:
        """What results.json records about the data."""
        return {
            "sizes": self.sizes(),
            "timesteps": self.timesteps,
            "features": self.features,
            "vocab_size": self.vocab_size,
            "task": self.task,
            "validation": self.validation,
        }


def load_dataset(cfg: DatasetConfig) -> SequenceData:
    """Load the dataset `cfg.name`, apply `limit`, and carve out the validation split.

    No check happens here: `seqlab.config.validate.check_data` judges the result.

    Loaders may apply `limit` themselves before costly processing (IMDB pads only
    what is kept); cutting again here is then a no-op.
    """
    raw = DATASETS.get(cfg.name).loader(cfg)
    if raw.task not in TASKS:
        raise ValueError(f"loader {cfg.name!r} returned unknown task {raw.task!r}")
    x_train, y_train, x_test, y_test = raw.x_train, raw.y_train, raw.x_test, raw.y_test
    task, num_classes = raw.task, raw.num_classes
    if cfg.target == "reconstruction":
        # The model learns to emit its input: targets are the inputs themselves.
        y_train, y_test = x_train, x_test
        task, num_classes = "reconstruction", None
    if cfg.limit is not None:
        x_train, y_train = x_train[: cfg.limit], y_train[: cfg.limit]
        if x_test is not None:
            x_test, y_test = x_test[: cfg.limit], y_test[: cfg.limit]

    if cfg.validation == "test":
        # The test split is the validation split; a dataset without one validates on
        # nothing, which seqlab.config.validate.check_data refuses.
        x_val, y_val = (x_test, y_test) if x_test is not None else (x_train[:0], y_train[:0])
        x_test = y_test = None
    else:
        (x_train, y_train), (x_val, y_val) = holdout(
            x_train, y_train, cfg.val_fraction, seed=cfg.split_seed
        )
    return SequenceData(
        x_train=x_train,
        y_train=y_train,
        x_val=x_val,
        y_val=y_val,
        x_test=x_test,
        y_test=y_test,
        task=task,
        num_classes=num_classes,
        vocab_size=raw.vocab_size,
        mask_value=raw.mask_value,
        mask_zero=raw.mask_zero,
        validation=cfg.validation,
        source=cfg.path,
    )
