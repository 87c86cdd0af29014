"""Every check of a configuration, in one place, in two stages.

`validate` runs before anything else (no data, no folder, no TensorFlow): the closed
schema, each option's rule, and the rules across groups; it returns the typed config
with `trainer=smoke`'s caps applied. `check_data` runs right after the data is
loaded, for what only the data can tell (sequence length, masks, split sizes). Other
modules do not check: they trust what passed here.
"""

from __future__ import annotations

import dataclasses
import importlib.util
from typing import Any

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from seqlab.errors import ConfigError, one_line
from seqlab.registry import Registry
from seqlab.schema.options import ModelConfig, SeqlabConfig, TrainerConfig
from seqlab.schema.rules import check_fields

# What trainer=smoke caps, whatever a preset sets (after the values were checked).
SMOKE_CAPS = {
    "epochs": 2,
    "steps_per_epoch": 3,
    "validation_steps": 2,
    "test_steps": 2,
    "warmup_steps": 1,
}
GROUPS = ("dataset", "model", "impl", "device", "backend", "trainer", "report", "tracking")


def validate(cfg: DictConfig) -> SeqlabConfig:
    """The typed, checked config of one run; a `ConfigError` names the first problem."""
    try:
        return _validate(cfg)
    except OmegaConfBaseException as exc:  # an interpolation that does not resolve
        detail = one_line(exc)
        raise ConfigError(
            f"The configuration is invalid: {detail}. Give that key a plain value on the "
            "command line or in your preset (an interpolation ${...} must resolve to a "
            "value of the key's type)."
        ) from None


def _validate(cfg: DictConfig) -> SeqlabConfig:
    _check_closed(cfg)
    try:
        typed: SeqlabConfig = OmegaConf.to_object(cfg)
    except OmegaConfBaseException as exc:
        raise ConfigError(f"The configuration is invalid: {exc}") from None
    for group in GROUPS:
        check_fields(getattr(typed, group), group)
    _check_names(typed)
    typed.model.use_cudnn = str(typed.model.use_cudnn).lower()
    typed.trainer.jit_compile = str(typed.trainer.jit_compile).lower()
    _check_model(typed.model, typed.impl.name, typed.dataset.target)
    _check_backend(typed)
    _check_dataset_path(typed.dataset)
    if typed.trainer.tensorboard and importlib.util.find_spec("tensorboard") is None:
        raise ConfigError(
            "trainer.tensorboard=true needs the tensorboard package, which is not installed "
            "(TensorFlow no longer brings it). Install it with `pip install "
            "'seqlab[tensorboard]'` (or `pip install tensorboard`), or set "
            "trainer.tensorboard=false."
        )
    if typed.tracking.name == "mlflow" and importlib.util.find_spec("mlflow") is None:
        raise ConfigError(
            "tracking=mlflow needs the mlflow package, which is not installed. Install it "
            "with `pip install 'seqlab[mlflow]'`, or use tracking=none."
        )
    if typed.trainer.lr_schedule == "step" and typed.trainer.lr_decay_steps is None:
        raise ConfigError(
            "trainer.lr_schedule=step needs trainer.lr_decay_steps, the number of optimizer "
            "steps between two decays by trainer.lr_decay_rate (for example "
            "trainer.lr_decay_steps=1000)."
        )
    _apply_smoke_caps(typed.trainer)
    return typed


def _check_closed(cfg: DictConfig) -> None:
    """Refuse keys the schema does not have, including ones added with `+key=value`."""
    unknown = [f"{key}" for key in cfg if key not in _field_names(SeqlabConfig)]
    nodes = [(group, cfg.get(group)) for group in GROUPS]
    while nodes:
        prefix, node = nodes.pop()
        schema = OmegaConf.get_type(node) if isinstance(node, DictConfig) else None
        if schema is None or not dataclasses.is_dataclass(schema):
            continue  # free-form nodes (model.custom_cell, notes) stay open
        unknown += [f"{prefix}.{key}" for key in node if key not in _field_names(schema)]
        nodes += [(f"{prefix}.{key}", node.get(key)) for key in node if key in _field_names(schema)]
    if unknown:
        raise ConfigError(
            f"Unknown option(s) {', '.join(unknown)}: the configuration has no such key, so "
            "the value would be ignored. Check the spelling (`seqlab --help` shows every "
            "option with its default) and remove the override."
        )


def registries() -> dict[str, tuple[Registry, tuple[str, ...]]]:
    """Every option whose value names a registry entry: (the registry, other allowed
    names). The names live in their registries only; nothing copies them."""
    from seqlab.backends import BACKENDS
    from seqlab.backends.devices import DEVICES
    from seqlab.data import DATASETS
    from seqlab.models.builder import ARCHS
    from seqlab.models.cells import CELLS
    from seqlab.models.heads import MERGE_MODES, READOUTS
    from seqlab.models.impls import IMPLEMENTATIONS
    from seqlab.records.tracking import TRACKERS
    from seqlab.training.optimizers import LR_SCHEDULES, OPTIMIZERS

    return {
        "dataset.name": (DATASETS, ()),
        "model.cell": (CELLS, ("custom",)),
        "model.merge_mode": (MERGE_MODES, ()),
        "model.readout": (READOUTS, ()),
        "model.arch": (ARCHS, ()),
        "impl.name": (IMPLEMENTATIONS, ()),
        "device.name": (DEVICES, ()),
        "backend.name": (BACKENDS, ()),
        "trainer.optimizer": (OPTIMIZERS, ()),
        "trainer.lr_schedule": (LR_SCHEDULES, ()),
        "tracking.name": (TRACKERS, ()),
    }


def _check_names(typed: SeqlabConfig) -> None:
    """Registry-backed choices, checked with the registry itself."""
    for key, (registry, also) in registries().items():
        group, option = key.split(".")
        registry.check(getattr(getattr(typed, group), option), *also, key=key)


def _field_names(schema: type) -> set[str]:
    return {f.name for f in dataclasses.fields(schema)}


def _check_model(model: ModelConfig, impl_name: str, target: str) -> None:
    """The model group against itself, the implementation and the dataset's target."""
    from seqlab.models.cells.base import CELLS, OPTIONAL_OPTIONS
    from seqlab.models.impls import IMPLEMENTATIONS

    impl = IMPLEMENTATIONS.get(impl_name)
    if model.cell == "custom":
        if not (model.custom_cell or {}).get("_target_"):
            raise ConfigError(
                "model.cell=custom needs model.custom_cell._target_, the import path of "
                "a Keras RNN cell class (for example "
                "'+model.custom_cell._target_=seqlab.examples.indrnn.IndRNNCell'); "
                f"or pick a built-in cell: model={', '.join(CELLS.names())} or indrnn."
            )
        if impl.needs_fused_layer:
            raise ConfigError(
                f"impl={impl.name} needs a fused Keras layer, and model.cell=custom has "
                "none (custom cells only run in a generic loop). Use impl=cell_loop or "
                "impl=manual."
            )
        from seqlab.models.cells.custom import check_importable, custom_target, plain_arguments

        plain_arguments(model.custom_cell)  # before anything is imported
        check_importable(custom_target(model))
    else:
        family = CELLS.get(model.cell)
        for option in OPTIONAL_OPTIONS:
            value = getattr(model, option)
            if value is not None and option not in family.options:
                raise ConfigError(
                    f"model.{option}={value!r} does not apply to model.cell={family.name}: "
                    "only cells with that option take it. Remove the override (or set it "
                    "to null)."
                )
    autoencoder = model.arch != "rnn"
    if autoencoder != (target == "reconstruction"):
        raise ConfigError(
            f"model.arch={model.arch} cannot be trained with dataset.target={target}. "
            "Reconstruction (dataset.target=reconstruction) needs model.arch=seq_autoencoder "
            "or dense_autoencoder; labels need model.arch=rnn."
        )
    if model.arch == "seq_autoencoder" and model.bidirectional:
        raise ConfigError(
            "model.arch=seq_autoencoder does not support model.bidirectional=true: the "
            "decoder starts from the encoder's final state of one direction. Set "
            "model.bidirectional=false."
        )
    if model.stateful:
        _check_stateful(model)


def _check_stateful(model: ModelConfig) -> None:
    """Refuse what stateful chunking cannot compute faithfully."""
    if model.chunk_length is None:
        raise ConfigError(
            "model.stateful=true needs model.chunk_length, the number of time steps in "
            "each chunk (a divisor of the sequence length). Set for example "
            "model.chunk_length=10."
        )
    refused = {
        model.arch != "rnn": f"model.arch={model.arch} (autoencoders need the whole sequence)",
        model.bidirectional: "model.bidirectional=true (a backward pass cannot run chunk by "
        "chunk from the start)",
        model.readout == "sequence_mean": "model.readout=sequence_mean (it would average "
        "over the last chunk only)",
    }
    reasons = [reason for bad, reason in refused.items() if bad]
    if reasons:
        raise ConfigError(
            "model.stateful=true cannot be combined with " + " or ".join(reasons) + ". "
            "Turn those options off, or set model.stateful=false."
        )


def _cudnn_kernel(model: ModelConfig) -> str | None:
    """The cuDNN kernel the model's cell family declares (a custom cell has none)."""
    from seqlab.models.cells.base import CELLS

    return None if model.cell == "custom" else CELLS.get(model.cell).cudnn_kernel


def _check_dataset_path(dataset: Any) -> None:
    """dataset.path only where the dataset reads files: never silently ignored."""
    from seqlab.data import DATASETS

    spec = DATASETS.get(dataset.name)
    if dataset.path is not None and not spec.reads_files:
        readers = ", ".join(n for n in DATASETS.names() if DATASETS.get(n).reads_files)
        raise ConfigError(
            f"dataset.path={dataset.path!r} does not apply to dataset={dataset.name}, which "
            f"reads no file (it is generated or bundled), so the path would be ignored. "
            f"Remove it, or pick a dataset that reads files ({readers})."
        )


def _check_backend(cfg: SeqlabConfig) -> None:
    """What Keras 3.15 does wrong on JAX and PyTorch, refused rather than measured."""
    backend, model, impl = cfg.backend.name, cfg.model, cfg.impl.name
    if backend == "jax" and model.stateful:
        raise ConfigError(
            "model.stateful=true cannot run on backend=jax: in Keras 3.15 stateful layers "
            "do not carry their state from one batch to the next on JAX (the trainer keeps "
            "the state variables out of its step and ignores the resets), with no error. "
            "Use backend=tensorflow or backend=torch (impl=cell_loop or manual) for "
            "stateful runs."
        )
    if backend == "torch" and model.stateful and impl in ("layer", "unrolled"):
        raise ConfigError(
            f"model.stateful=true with impl={impl} fails to train on backend=torch in Keras "
            "3.15 (the fused layer's state update is 'modified by an inplace operation'). "
            "Use impl=cell_loop or impl=manual on torch, or another backend."
        )
    # Kernels Keras 3.15 gives up without an error on a backend (read in its sources).
    silent = {"torch": ("lstm", "gru"), "jax": ("gru",)}.get(backend, ())
    if model.use_cudnn == "true" and _cudnn_kernel(model) in silent:
        raise ConfigError(
            f"model.use_cudnn=true cannot be enforced for {model.cell} on backend={backend}: "
            "Keras 3.15 falls back to its generic kernel there without an error. Use "
            "model.use_cudnn=auto and read results.json's cudnn.kernel, which says what ran."
        )
    # Installed or not comes last: what a backend cannot do is said even before it is.
    if importlib.util.find_spec(backend) is None:
        extra = "" if backend == "tensorflow" else f"'seqlab[{backend}]' or "
        raise ConfigError(
            f"backend={backend}, but {backend} is not installed in this Python environment. "
            f"Install it (pip install {extra}{backend}), or pick an installed backend "
            "(backend=tensorflow, jax or torch)."
        )


def _apply_smoke_caps(trainer: TrainerConfig) -> None:
    """trainer=smoke: a few batches whatever the preset says (values are checked first)."""
    if not trainer.smoke:
        return
    trainer.epochs = min(trainer.epochs, SMOKE_CAPS["epochs"])
    for key in ("steps_per_epoch", "validation_steps", "test_steps"):
        value = getattr(trainer, key)
        setattr(trainer, key, min(value or SMOKE_CAPS[key], SMOKE_CAPS[key]))
    trainer.warmup_steps = min(trainer.warmup_steps, SMOKE_CAPS["warmup_steps"])
