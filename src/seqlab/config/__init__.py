"""Configuration: the schema of every group, its rules, the checks, and the Hydra store."""

from seqlab.config.data_check import check_data
from seqlab.config.store import conf_dir, register_schemas
from seqlab.config.validate import validate
from seqlab.schema.options import (
    DatasetConfig,
    DeviceConfig,
    ImplConfig,
    ModelConfig,
    ReportConfig,
    SeqlabConfig,
    TrainerConfig,
)

__all__ = [
    "DatasetConfig",
    "DeviceConfig",
    "ImplConfig",
    "ModelConfig",
    "ReportConfig",
    "SeqlabConfig",
    "TrainerConfig",
    "check_data",
    "conf_dir",
    "register_schemas",
    "validate",
]
