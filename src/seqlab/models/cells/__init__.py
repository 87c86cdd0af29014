"""Cell types: a registry of recurrent cell families (simple_rnn, lstm, gru, ...).

Each module in this package registers one family with `register_cell`; adding a cell
type takes one module here and one YAML file in `conf/model/`. `model.cell=custom`
(`custom.py`) builds a family for any Keras cell class named by import path.
"""

from __future__ import annotations

import importlib
import pkgutil

from seqlab.models.cells.base import CELLS, CellFamily, cell_kwargs, register_cell
from seqlab.models.cells.custom import family_for

__all__ = ["CELLS", "CellFamily", "cell_kwargs", "family_for", "register_cell"]

_NOT_FAMILIES = {"base", "custom"}

for _module in pkgutil.iter_modules(__path__):
    if _module.name not in _NOT_FAMILIES:
        importlib.import_module(f"{__name__}.{_module.name}")
