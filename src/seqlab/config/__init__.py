"""Configuration: the schema of every group, its rules, the checks, and the Hydra store."""

from seqlab.config.checks import check_data, validate
from seqlab.config.schema import (
    DatasetConfig,
    DeviceConfig,
    ImplConfig,
    ModelConfig,
    ReportConfig,
    SeqlabConfig,
    TrainerConfig,
)
from seqlab.config.store import conf_dir, register_schemas

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
