"""The typed schema of every config group: options, defaults, and the rule each obeys.

Hydra composes the YAML files of `conf/` on top of these dataclasses, so a wrong type
is rejected while composing. The rules in the field metadata are applied by
`seqlab.config.validate.validate`, the one place where configs are checked. Dataset
schemas live beside their loaders (`seqlab.data.loaders.*`) and subclass
`DatasetConfig`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from omegaconf import MISSING

from seqlab.schema.rules import (
    PRECISIONS,
    TRISTATE,
    above,
    at_least,
    between,
    fraction,
    one_of,
    positive_list,
)


@dataclass
class DatasetConfig:
    """Options every dataset has. Subclasses add the dataset's own options."""

    name: str = MISSING
    # A local file in the keras.datasets format; when null, the loader looks in the
    # Keras cache (~/.keras/datasets) and downloads only if the file is not there.
    path: str | None = None
    # Use only the first N examples of each split (after loading, before splitting).
    limit: int | None = field(default=None, metadata=at_least(1, optional=True))
    # "split": hold out `val_fraction` of the training examples (a permutation seeded
    # by `split_seed`, independent of trainer.seed, so every run sees the same split).
    # "test": validate on the test split, as the seed tutorials do.
    validation: str = field(default="split", metadata=one_of(("split", "test")))
    val_fraction: float = field(default=0.1, metadata=fraction(closed_low=False))
    split_seed: int = field(default=0, metadata=at_least(0))  # NumPy's seeds are >= 0
    # "label": predict the dataset's label/target. "reconstruction": the target is the
    # input sequence itself (autoencoders; float features in [0, 1] only).
    target: str = field(default="label", metadata=one_of(("label", "reconstruction")))


CELL_DEFAULT = None  # "use the cell's own default" for options not every cell has


@dataclass
class ModelConfig:
    """The recurrent network: which cell, how many, how wide, and the readout."""

    cell: str = "lstm"
    # Bounds past any plan: 16384 LSTM units are 2 GiB of weights per layer; a
    # million layers spent minutes building before anything said so.
    units: int = field(default=64, metadata=between(1, 16384))
    layers: int = field(default=2, metadata=between(1, 100))
    dropout: float = field(default=0.0, metadata=fraction())
    recurrent_dropout: float = field(default=0.0, metadata=fraction())
    bidirectional: bool = False
    merge_mode: str = "concat"
    embedding_dim: int = field(default=100, metadata=at_least(1))
    activation: str = "tanh"
    recurrent_activation: str | None = CELL_DEFAULT
    use_bias: bool = True
    reset_after: bool | None = CELL_DEFAULT
    # "auto": cuDNN when the configuration and the device allow it; "true": fail
    # unless it is allowed; "false": never.
    use_cudnn: str = field(default="auto", metadata=one_of(TRISTATE))
    # What the head reads: "output" (the last output), "final_state" (the final hidden
    # state, via return_state), "sequence_last" (the full sequence's last time step,
    # as seed 003 does), "sequence_mean" (mean over time steps).
    readout: str = "output"
    batch_norm: bool = False
    # "rnn": recurrent layers and a head (classifiers, regressors). With
    # dataset.target=reconstruction: "seq_autoencoder" (an encoder RNN whose final
    # states are the initial state of a decoder RNN that emits the rows back) or
    # "dense_autoencoder" (flattened input through Dense `dense_units`, mirrored).
    arch: str = "rnn"
    # model.cell=custom: the cell to build, as a Hydra node {_target_: import.path.Cell,
    # ...its own options}; seqlab adds `units` (and dropout options when set).
    custom_cell: Any = None
    dense_units: list[int] = field(default_factory=lambda: [256, 128, 20], metadata=positive_list())
    # Long sequences in consecutive chunks of `chunk_length` steps, with the recurrent
    # states carried from batch to batch (see seqlab.data.chunks). `reset_state`:
    # "sequence" zeroes them between sequences only; "chunk" before every chunk (the
    # no-memory baseline on the same data).
    stateful: bool = False
    chunk_length: int | None = field(default=None, metadata=at_least(1, optional=True))
    reset_state: str = field(default="sequence", metadata=one_of(("sequence", "chunk")))


@dataclass
class ImplConfig:
    """How the recurrence is executed (see `seqlab.models.impls`)."""

    name: str = "layer"


@dataclass
class DeviceConfig:
    """Where the backend runs: auto, cpu (GPUs hidden) or gpu (fail without one)."""

    name: str = "auto"
    # Grow GPU memory on demand, so that the recorded peak is what the run needed.
    memory_growth: bool = True


@dataclass
class BackendConfig:
    """Which framework Keras runs on (see `seqlab.backends`)."""

    name: str = "tensorflow"


@dataclass
class EarlyStoppingConfig:
    """Stop when the task's validation metric stops improving (off by default)."""

    # Epochs without an improvement larger than min_delta before training stops;
    # null: never stop early.
    patience: int | None = field(default=None, metadata=at_least(1, optional=True))
    min_delta: float = field(default=0.0, metadata=at_least(0.0))


@dataclass
class TrainerConfig:
    """The generic trainer: optimisation and measurement settings."""

    epochs: int = field(default=20, metadata=at_least(1))
    batch_size: int = field(default=32, metadata=at_least(1))
    optimizer: str = "adam"
    lr: float = field(default=1e-3, metadata=above(0.0))
    # How the learning rate moves over the optimizer's steps (seqlab.training.optimizers):
    # "none" (constant), "cosine" (to 0 at the last step), "step" (times
    # lr_decay_rate every lr_decay_steps steps); lr_warmup_steps ramps it up linearly
    # from 0 first, with any schedule.
    lr_schedule: str = "none"
    lr_warmup_steps: int = field(default=0, metadata=at_least(0))
    lr_decay_steps: int | None = field(default=None, metadata=at_least(1, optional=True))
    lr_decay_rate: float = field(default=0.5, metadata=above(0.0))
    early_stopping: EarlyStoppingConfig = field(default_factory=EarlyStoppingConfig)
    clipnorm: float | None = field(default=None, metadata=above(0.0, optional=True))
    seed: int = field(default=42, metadata=at_least(0))  # NumPy's and Keras's seeds are >= 0
    # null: one pass over the training split per epoch. With model.stateful the three
    # step counts count groups of batch_size whole sequences, not chunk batches.
    steps_per_epoch: int | None = field(default=None, metadata=at_least(1, optional=True))
    validation_steps: int | None = field(default=None, metadata=at_least(1, optional=True))
    test_steps: int | None = field(default=None, metadata=at_least(1, optional=True))
    # Steps excluded from the steady-state timing when there is a single epoch
    # (with several epochs the whole first epoch is excluded). At least 1: the first
    # step traces (and compiles) the training function.
    warmup_steps: int = field(default=5, metadata=at_least(1))
    # null: shuffle the whole training split every epoch.
    shuffle_buffer: int | None = field(default=None, metadata=at_least(1, optional=True))
    drop_remainder: bool = False
    # XLA: "auto" lets Keras decide (on for GPUs when every layer supports it).
    jit_compile: str = field(default="auto", metadata=one_of(TRISTATE))
    # Keras's dtype policy: "float32", or mixed precision ("mixed_float16",
    # "mixed_bfloat16": float16/bfloat16 computations, float32 variables).
    precision: str = field(default="float32", metadata=one_of(PRECISIONS))
    # Rich progress bars in a terminal; false prints one plain line per epoch.
    progress: bool = True
    evaluate_test: bool = True
    # TensorBoard logs in <run dir>/tensorboard. Its per-batch writes cost step time,
    # so leave it off in timing comparisons.
    tensorboard: bool = False
    # A run started again in the same output directory resumes from its last finished
    # epoch; false starts over (earlier files are moved aside, see seqlab.records.folder).
    resume: bool = True
    # A run whose training takes longer than this (its own compute, in seconds: an
    # interleaved job's waits for its turns do not count) stops and is recorded failed,
    # saying so; a scaling sweep's curve ends at that size instead of running for hours.
    time_cap_s: float | None = field(default=None, metadata=above(0.0, optional=True))
    # Stop training once the steady step time is known to +- this fraction (the 95 %
    # interval of its mean over blocks of 5 steps), after at least 20 steady steps:
    # the interval, not the clock, decides when a measurement is done. null: train
    # every epoch (a run meant to learn something, not only to be timed).
    until_precise: float | None = field(default=None, metadata=above(0.0, optional=True))
    # Smoke mode caps the run to a few batches whatever else set the options: an
    # experiment preset is applied after the trainer group, so `+experiment=X
    # trainer=smoke` keeps X's data, model and batch size but not its length.
    smoke: bool = False


@dataclass
class TrackingConfig:
    """Where runs are logged besides their own folder (see `seqlab.records.tracking`)."""

    name: str = "none"
    # The MLflow experiment the runs go to.
    experiment: str = "seqlab"


@dataclass
class ReportConfig:
    """How the end-of-sweep summary is built."""

    # An override such as "impl=cell_loop": adds a speedup column relative to the
    # job with that value and the same other overrides.
    baseline: str | None = None


@dataclass
class SeqlabConfig:
    """The whole composed configuration of one run."""

    dataset: Any = MISSING
    model: ModelConfig = field(default_factory=ModelConfig)
    impl: ImplConfig = field(default_factory=ImplConfig)
    device: DeviceConfig = field(default_factory=DeviceConfig)
    backend: BackendConfig = field(default_factory=BackendConfig)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    report: ReportConfig = field(default_factory=ReportConfig)
    tracking: TrackingConfig = field(default_factory=TrackingConfig)
    # Free-form notes a preset may carry (e.g. what the seed tutorial reported).
    notes: dict[str, Any] = field(default_factory=dict)
    # A job whose output directory already holds an "ok" results.json for the very
    # same configuration is not run again (re-running a sweep into its directory
    # finishes only what is missing). skip_finished=false runs it anyway.
    skip_finished: bool = True
