"""Configuration: the schema of every group, its rules, the checks, and the Hydra store."""

from seqlab.config.store import conf_dir, register_schemas
from seqlab.config.validate import check_data, validate
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
