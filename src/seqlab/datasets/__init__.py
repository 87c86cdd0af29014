"""Datasets: a registry of loaders, each turning its config into `SequenceData`.

Every module in this package registers itself with `@register_dataset`; importing
the package imports them all, so adding a dataset takes one module here and one
YAML file in `conf/dataset/`. Loader modules import TensorFlow/Keras lazily so that
`seqlab --help` stays fast.
"""

from __future__ import annotations

import importlib
import pkgutil

from seqlab.datasets.base import (
    DATASETS,
    DatasetSpec,
    LoadedSplits,
    SequenceData,
    load_dataset,
    register_dataset,
)

__all__ = [
    "DATASETS",
    "DatasetSpec",
    "LoadedSplits",
    "SequenceData",
    "load_dataset",
    "register_dataset",
]

_NOT_LOADERS = {"base", "keras_files", "splits"}

for _module in pkgutil.iter_modules(__path__):
    if _module.name not in _NOT_LOADERS:
        importlib.import_module(f"{__name__}.{_module.name}")
