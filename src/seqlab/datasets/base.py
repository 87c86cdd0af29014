"""The data container, the dataset registry and the shared split/limit logic."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from hydra.core.config_store import ConfigStore

from seqlab.config import DatasetConfig
from seqlab.datasets.splits import holdout
from seqlab.errors import ConfigError
from seqlab.registry import Registry

TASKS = ("binary", "multiclass", "regression", "reconstruction")


@dataclass
class LoadedSplits:
    """What a loader returns: a training split, an optional test split, and metadata."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray | None
    y_test: np.ndarray | None
    task: str
    num_classes: int | None = None
    # Token inputs: integer ids in [0, vocab_size); None for float features.
    vocab_size: int | None = None
    # Float features padded with this value (a Masking layer skips those steps).
    mask_value: float | None = None
    # Token inputs: id 0 is padding and is masked (Embedding(mask_zero=True)).
    mask_zero: bool = False


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

    @property
    def timesteps(self) -> int:
        return int(self.x_train.shape[1])

    @property
    def features(self) -> int | None:
        """Features per time step, or None for token ids."""
        return None if self.vocab_size is not None else int(self.x_train.shape[2])

    @property
    def is_tokens(self) -> bool:
        return self.vocab_size is not None

    @property
    def mask_right_padded(self) -> bool | None:
        """Whether every mask is strictly right-padded with no fully masked sequence
        (what cuDNN needs); None when the input is not masked."""
        if self.mask_zero:
            masks = [x != 0 for x in self._inputs()]
        elif self.mask_value is not None:
            masks = [(x != self.mask_value).any(axis=-1) for x in self._inputs()]
        else:
            return None
        return all(bool(m[:, 0].all() and (m[:, 1:] <= m[:, :-1]).all()) for m in masks if len(m))

    def _inputs(self) -> list[np.ndarray]:
        return [x for x in (self.x_train, self.x_val, self.x_test) if x is not None]

    def sizes(self) -> dict[str, int]:
        sizes = {"train": len(self.x_train), "val": len(self.x_val)}
        if self.x_test is not None:
            sizes["test"] = len(self.x_test)
        return sizes


@dataclass(frozen=True)
class DatasetSpec:
    """A registered dataset: its loader and its config schema."""

    name: str
    loader: Callable[[DatasetConfig], LoadedSplits]
    schema: type[DatasetConfig]


DATASETS: Registry[DatasetSpec] = Registry("dataset")


def register_dataset(
    name: str, schema: type[DatasetConfig]
) -> Callable[[Callable[[DatasetConfig], LoadedSplits]], Callable]:
    """Register `loader` under `name` and its schema as `schema/dataset/<name>`.

    The dataset's YAML file uses the schema with
    `defaults: [/schema/dataset/<name>@_here_, _self_]`.
    """

    def decorator(loader: Callable[[DatasetConfig], LoadedSplits]) -> Callable:
        DATASETS.register(name)(DatasetSpec(name, loader, schema))
        ConfigStore.instance().store(group="schema/dataset", name=name, node=schema)
        return loader

    return decorator


def load_dataset(cfg: DatasetConfig) -> SequenceData:
    """Load the dataset `cfg.name`, apply `limit`, and carve out the validation split."""
    spec = DATASETS.get(cfg.name)
    raw = spec.loader(cfg)
    if raw.task not in TASKS:
        raise ValueError(f"loader {cfg.name!r} returned unknown task {raw.task!r}")
    x_train, y_train, x_test, y_test = raw.x_train, raw.y_train, raw.x_test, raw.y_test
    task, num_classes = raw.task, raw.num_classes
    if cfg.target == "reconstruction":
        if raw.vocab_size is not None or raw.mask_value is not None:
            raise ConfigError(
                f"dataset.target=reconstruction needs unpadded float features, and dataset "
                f"{cfg.name!r} has {'token ids' if raw.vocab_size else 'padded sequences'}. "
                "Use it on mnist, fashion_mnist, digits or adding."
            )
        # The model learns to emit its input: targets are the inputs themselves.
        y_train, y_test = x_train, x_test
        task, num_classes = "reconstruction", None
    if cfg.limit is not None:
        x_train, y_train = x_train[: cfg.limit], y_train[: cfg.limit]
        if x_test is not None:
            x_test, y_test = x_test[: cfg.limit], y_test[: cfg.limit]

    if cfg.validation == "test":
        if x_test is None:
            raise ConfigError(
                f"dataset.validation=test, but dataset {cfg.name!r} has no test split. "
                "Use dataset.validation=split (hold out dataset.val_fraction of the "
                "training examples) instead."
            )
        x_val, y_val = x_test, y_test
        x_test = y_test = None  # the test split is already the validation split
    else:
        (x_train, y_train), (x_val, y_val) = holdout(
            x_train, y_train, cfg.val_fraction, seed=cfg.split_seed
        )
    if len(x_train) == 0 or len(x_val) == 0:
        raise ConfigError(
            f"dataset {cfg.name!r} has {len(x_train)} training and {len(x_val)} "
            f"validation examples after dataset.limit={cfg.limit} and "
            f"dataset.val_fraction={cfg.val_fraction}; both need at least one. "
            "Raise dataset.limit or change dataset.val_fraction."
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
    )
