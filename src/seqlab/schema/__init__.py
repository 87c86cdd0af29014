"""The option types of every config group, their defaults and their rules, as data.

The bottom floor of seqlab's configuration: loaders and cells declare their options
with these types and rules; `seqlab.config` (validation, the Hydra store) sits above
the registries that read them.
"""

from seqlab.schema.options import (
    BackendConfig,
    DatasetConfig,
    DeviceConfig,
    EarlyStoppingConfig,
    ImplConfig,
    ModelConfig,
    ReportConfig,
    SeqlabConfig,
    TrackingConfig,
    TrainerConfig,
)

__all__ = [
    "BackendConfig",
    "DatasetConfig",
    "DeviceConfig",
    "EarlyStoppingConfig",
    "ImplConfig",
    "ModelConfig",
    "ReportConfig",
    "SeqlabConfig",
    "TrackingConfig",
    "TrainerConfig",
]
