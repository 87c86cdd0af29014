"""A run's set-up after the device: data, its checks, the layout, the task and the input.

`seqlab-predict` uses the same set-up, so a saved run is evaluated on exactly the
data, split and layout it was trained with.
"""

from __future__ import annotations

from seqlab.backends.devices import DeviceInfo
from seqlab.config.data_check import check_data
from seqlab.data.loading import load_dataset
from seqlab.models.builder import InputSpec
from seqlab.models.cells import family_for
from seqlab.models.cudnn import cudnn_eligibility
from seqlab.schema.options import SeqlabConfig
from seqlab.training.layouts import layout_for
from seqlab.training.trainer import Prepared


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
        cfg.trainer.precision,
    )
    cudnn.gpu_present = device.gpu_present and device.used == "gpu"
    check_data(cfg, data, cudnn)
    layout = layout_for(cfg, data)
    task = task_spec(data.task, data.num_classes, data.features)
    return Prepared(cfg, data, layout, task, InputSpec.of(data, layout.input_batch_size), cudnn)
