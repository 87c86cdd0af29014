"""Data: the dataset registry, the loaders, and the batch pipelines.

Every module in `seqlab.data.loaders` registers one dataset with `@register_dataset`;
importing this package imports them all, so adding a dataset takes one module there
and one YAML file in `conf/dataset/`. Loaders import TensorFlow/Keras lazily so that
`seqlab --help` stays fast.
"""

from __future__ import annotations

import importlib
import pkgutil

from seqlab.data import loaders
from seqlab.data.loading import SequenceData, load_dataset
from seqlab.data.registry import DATASETS, DatasetSpec, LoadedSplits, register_dataset

__all__ = [
    "DATASETS",
    "DatasetSpec",
    "LoadedSplits",
    "SequenceData",
    "load_dataset",
    "register_dataset",
]

for _module in pkgutil.iter_modules(loaders.__path__):
    importlib.import_module(f"{loaders.__name__}.{_module.name}")
