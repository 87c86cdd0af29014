"""The dataset registry: what a loader returns and how it is registered."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from hydra.core.config_store import ConfigStore

from seqlab.registry import Registry
from seqlab.schema.options import DatasetConfig

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


@dataclass(frozen=True)
class DatasetSpec:
    """A registered dataset: its loader and its config schema."""

    name: str
    loader: Callable[[DatasetConfig], LoadedSplits]
    schema: type[DatasetConfig]
    # Whether it reads files (dataset.path); generated and bundled data read none.
    reads_files: bool = False


DATASETS: Registry[DatasetSpec] = Registry("dataset", key="dataset")


def register_dataset(
    name: str, schema: type[DatasetConfig], *, reads_files: bool = False
) -> Callable[[Callable[[DatasetConfig], LoadedSplits]], Callable]:
    """Register `loader` under `name` and its schema as `schema/dataset/<name>`.

    `reads_files`: the loader reads files in the keras.datasets format, which
    `dataset.path` may point at (refused for the others, so that it is never ignored).

    The dataset's YAML file uses the schema with
    `defaults: [/schema/dataset/<name>@_here_, _self_]`.
    """

    def decorator(loader: Callable[[DatasetConfig], LoadedSplits]) -> Callable:
        DATASETS.register(name)(DatasetSpec(name, loader, schema, reads_files))
        ConfigStore.instance().store(group="schema/dataset", name=name, node=schema)
        return loader

    return decorator
