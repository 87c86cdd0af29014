"""Register every structured config with Hydra's ConfigStore (no TensorFlow import)."""

from __future__ import annotations

from hydra.core.config_store import ConfigStore

import seqlab.cells
import seqlab.datasets  # noqa: F401  (each dataset stores its schema/dataset/<name>)
from seqlab.config import SeqlabConfig


def register_schemas() -> None:
    ConfigStore.instance().store(name="seqlab_schema", node=SeqlabConfig)
