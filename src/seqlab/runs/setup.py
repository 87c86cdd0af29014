"""A run's set-up after the device: data, its checks, the layout, the task and the input.

`seqlab-predict` uses the same set-up, so a saved run is evaluated on exactly the
data, split and layout it was trained with.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from seqlab.config.checks import check_data
from seqlab.config.schema import SeqlabConfig
from seqlab.data.loading import SequenceData, load_dataset
from seqlab.models.builder import InputSpec, build_model
from seqlab.models.cells import family_for
from seqlab.models.cudnn import CudnnReport, cudnn_eligibility
from seqlab.runs.device import DeviceInfo
from seqlab.runs.layouts import layout_for


@dataclass
class Prepared:
    """What a run needs before it builds its model."""

    cfg: SeqlabConfig
    data: SequenceData
    layout: Any  # PlainLayout | ChunkedLayout
    task: Any  # TaskSpec
    spec: InputSpec
    cudnn: CudnnReport

    def build(self, impl: str | None = None):
        """The run's model (or the same model with another implementation)."""
        impl = impl or self.cfg.impl.name
        return build_model(
            self.spec, self.cfg.model, impl, self.task.output_units, self.cudnn.use_cudnn
        )


def fresh_keras(seed: int) -> None:
    """Each run of a sweep starts from a clean Keras state (names, graphs, memory) and seeds."""
    import keras

    keras.utils.clear_session(free_memory=True)
    keras.utils.set_random_seed(seed)


def prepare(cfg: SeqlabConfig, device: DeviceInfo) -> Prepared:
    """Load the data, check it against the config, and derive what the model needs."""
    from seqlab.models.tasks import task_spec

    data = load_dataset(cfg.dataset)
    cudnn = cudnn_eligibility(
        family_for(cfg.model),  # imports a custom cell's module
        cfg.model,
        cfg.impl.name,
        data.masks(),
    )
    cudnn.gpu_present = device.gpu_present and device.used == "gpu"
    check_data(cfg, data, cudnn)
    layout = layout_for(cfg, data)
    task = task_spec(data.task, data.num_classes, data.features)
    return Prepared(cfg, data, layout, task, InputSpec.of(data, layout.input_batch_size), cudnn)
