"""Cell types: a registry of recurrent cell families (simple_rnn, lstm, gru, ...).

Each module in this package registers one family with `@register_cell`; adding a
cell type takes one module here and one YAML file in `conf/model/`.
"""

from __future__ import annotations

import importlib
import pkgutil

from seqlab.cells.base import CELLS, CellFamily, cell_kwargs, register_cell

__all__ = ["CELLS", "CellFamily", "cell_kwargs", "register_cell"]

for _module in pkgutil.iter_modules(__path__):
    if _module.name != "base":
        importlib.import_module(f"{__name__}.{_module.name}")
