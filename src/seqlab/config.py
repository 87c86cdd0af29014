"""Structured configs: the typed schema of every config group, with range checks.

Hydra composes YAML files from `conf/` on top of these dataclasses, so a wrong type
or an unknown key is rejected while composing; `OmegaConf.to_object` then builds the
dataclasses, whose `__post_init__` checks ranges and allowed values.
Dataset schemas live beside their loaders (`seqlab.datasets.*`) and subclass
`DatasetConfig`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from omegaconf import MISSING

from seqlab.errors import ConfigError


def check(ok: bool, key: str, value: Any, allowed: str) -> None:
    """Raise a `ConfigError` for `key=value` unless `ok`; `allowed` says what is allowed."""
    if not ok:
        raise ConfigError(
            f"{key}={value!r} is not allowed: {key} must be {allowed}. "
            f"Fix it on the command line (for example `{key}=<value>`) or in your preset."
        )


def check_choice(key: str, value: Any, choices: tuple[str, ...]) -> None:
    check(value in choices, key, value, "one of " + ", ".join(choices))


def check_min(key: str, value: float | None, low: float, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    kind = "a number" if isinstance(low, float) else "an integer"
    check(value is not None and value >= low, key, value, f"{kind} >= {low}")


def check_fraction(key: str, value: float, *, closed_low: bool = True) -> None:
    low_ok = value >= 0.0 if closed_low else value > 0.0
    interval = "[0, 1)" if closed_low else "(0, 1)"
    check(low_ok and value < 1.0, key, value, f"a fraction in {interval}")


@dataclass
class DatasetConfig:
    """Options every dataset has. Subclasses add the dataset's own options."""

    name: str = MISSING
    # A local file in the keras.datasets format; when null, the loader looks in the
    # Keras cache (~/.keras/datasets) and downloads only if the file is not there.
    path: str | None = None
    # Use only the first N examples of each split (after loading, before splitting).
    limit: int | None = None
    # "split": hold out `val_fraction` of the training examples (a permutation seeded
    # by `split_seed`, independent of trainer.seed, so every run sees the same split).
    # "test": validate on the test split, as the seed tutorials do.
    validation: str = "split"
    val_fraction: float = 0.1
    split_seed: int = 0
    # "label": predict the dataset's label/target. "reconstruction": the target is the
    # input sequence itself (autoencoders; float features in [0, 1] only).
    target: str = "label"

    def __post_init__(self) -> None:
        check_min("dataset.limit", self.limit, 1, optional=True)
        check_choice("dataset.target", self.target, ("label", "reconstruction"))
        check_choice("dataset.validation", self.validation, ("split", "test"))
        check_fraction("dataset.val_fraction", self.val_fraction, closed_low=False)


ARCHS = ("rnn", "seq_autoencoder", "dense_autoencoder")
CELL_DEFAULT = None  # "use the cell's own default" for options not every cell has


@dataclass
class ModelConfig:
    """The recurrent network: which cell, how many, how wide, and the readout."""

    cell: str = "lstm"
    units: int = 64
    layers: int = 2
    dropout: float = 0.0
    recurrent_dropout: float = 0.0
    bidirectional: bool = False
    merge_mode: str = "concat"
    embedding_dim: int = 100
    activation: str = "tanh"
    recurrent_activation: str | None = CELL_DEFAULT
    use_bias: bool = True
    reset_after: bool | None = CELL_DEFAULT
    # "auto": cuDNN when the configuration and the device allow it; "true": fail
    # unless it is allowed; "false": never.
    use_cudnn: str = "auto"
    # What the classifier head reads: "output" (the last output), "final_state" (the
    # final hidden state, via return_state), "sequence_last" (the full sequence's
    # last time step, as seed 003 does), "sequence_mean" (mean over time steps).
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
    dense_units: list[int] = field(default_factory=lambda: [256, 128, 20])
    # Long sequences in consecutive chunks of `chunk_length` steps, with the recurrent
    # states carried from batch to batch (see seqlab.stateful). `reset_state`:
    # "sequence" zeroes them between sequences only; "chunk" before every chunk (the
    # no-memory baseline on the same data).
    stateful: bool = False
    chunk_length: int | None = None
    reset_state: str = "sequence"

    def __post_init__(self) -> None:
        check_min("model.units", self.units, 1)
        check_min("model.layers", self.layers, 1)
        check_fraction("model.dropout", self.dropout)
        check_fraction("model.recurrent_dropout", self.recurrent_dropout)
        check_choice("model.merge_mode", self.merge_mode, ("concat", "sum", "mul", "ave"))
        check_min("model.embedding_dim", self.embedding_dim, 1)
        self.use_cudnn = str(self.use_cudnn).lower()
        check_choice("model.use_cudnn", self.use_cudnn, ("auto", "true", "false"))
        check_choice(
            "model.readout",
            self.readout,
            ("output", "final_state", "sequence_last", "sequence_mean"),
        )
        check_choice("model.arch", self.arch, ARCHS)
        check_min("model.chunk_length", self.chunk_length, 1, optional=True)
        check_choice("model.reset_state", self.reset_state, ("sequence", "chunk"))
        if self.cell == "custom" and not (self.custom_cell or {}).get("_target_"):
            raise ConfigError(
                "model.cell=custom needs model.custom_cell._target_, the import path of "
                "a Keras RNN cell class (for example "
                "'+model.custom_cell._target_=seqlab.custom_cells.indrnn.IndRNNCell'); "
                "or pick a built-in cell: model=simple_rnn, lstm, gru or indrnn."
            )
        check(
            len(self.dense_units) > 0 and all(u >= 1 for u in self.dense_units),
            "model.dense_units",
            list(self.dense_units),
            "a non-empty list of integers >= 1",
        )


IMPLS = ("layer", "cell_loop", "manual", "unrolled")


@dataclass
class ImplConfig:
    """How the recurrence is executed (see `seqlab.impls`)."""

    name: str = "layer"

    def __post_init__(self) -> None:
        check_choice("impl.name", self.name, IMPLS)


@dataclass
class DeviceConfig:
    """Where TensorFlow runs: auto, cpu (GPUs hidden) or gpu (fail without one)."""

    name: str = "auto"
    # Grow GPU memory on demand, so that the recorded peak is what the run needed.
    memory_growth: bool = True

    def __post_init__(self) -> None:
        check_choice("device.name", self.name, ("auto", "cpu", "gpu"))


SMOKE_CAPS = {
    "epochs": 2,
    "steps_per_epoch": 3,
    "validation_steps": 2,
    "test_steps": 2,
    "warmup_steps": 1,
}

OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop", "adagrad", "nadam")


@dataclass
class TrainerConfig:
    """The generic trainer: optimisation and measurement settings."""

    epochs: int = 20
    batch_size: int = 32
    optimizer: str = "adam"
    lr: float = 1e-3
    clipnorm: float | None = None
    seed: int = 42
    # null: one pass over the training split per epoch. With model.stateful the three
    # step counts count groups of batch_size whole sequences, not chunk batches.
    steps_per_epoch: int | None = None
    validation_steps: int | None = None
    test_steps: int | None = None
    # Steps excluded from the steady-state timing when there is a single epoch
    # (with several epochs the whole first epoch is excluded).
    warmup_steps: int = 5
    # null: shuffle the whole training split every epoch.
    shuffle_buffer: int | None = None
    drop_remainder: bool = False
    # XLA: "auto" lets Keras decide (on for GPUs when every layer supports it).
    jit_compile: str = "auto"
    progress: bool = True
    evaluate_test: bool = True
    # TensorBoard logs in <run dir>/tensorboard. Its per-batch writes cost step time,
    # so leave it off in timing comparisons.
    tensorboard: bool = False
    # A run started again in the same output directory resumes from its last finished
    # epoch (Keras's BackupAndRestore); the backup is deleted when the run finishes.
    resume: bool = True
    # Smoke mode caps the run to a few batches whatever else set the options: an
    # experiment preset is applied after the trainer group, so `+experiment=X
    # trainer=smoke` keeps X's data, model and batch size but not its length.
    smoke: bool = False

    def __post_init__(self) -> None:
        if self.smoke:
            self.epochs = min(self.epochs, SMOKE_CAPS["epochs"])
            for key in ("steps_per_epoch", "validation_steps", "test_steps"):
                value = getattr(self, key)
                setattr(self, key, min(value or SMOKE_CAPS[key], SMOKE_CAPS[key]))
            self.warmup_steps = min(self.warmup_steps, SMOKE_CAPS["warmup_steps"])
        check_min("trainer.epochs", self.epochs, 1)
        check_min("trainer.batch_size", self.batch_size, 1)
        check_choice("trainer.optimizer", self.optimizer, OPTIMIZERS)
        check(self.lr > 0, "trainer.lr", self.lr, "a number > 0")
        check(
            self.clipnorm is None or self.clipnorm > 0,
            "trainer.clipnorm",
            self.clipnorm,
            "null or a number > 0",
        )
        check_min("trainer.steps_per_epoch", self.steps_per_epoch, 1, optional=True)
        check_min("trainer.validation_steps", self.validation_steps, 1, optional=True)
        check_min("trainer.test_steps", self.test_steps, 1, optional=True)
        check_min("trainer.warmup_steps", self.warmup_steps, 0)
        check_min("trainer.shuffle_buffer", self.shuffle_buffer, 1, optional=True)
        self.jit_compile = str(self.jit_compile).lower()
        check_choice("trainer.jit_compile", self.jit_compile, ("auto", "true", "false"))


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
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    report: ReportConfig = field(default_factory=ReportConfig)
    # Free-form notes a preset may carry (e.g. what the seed tutorial reported).
    notes: dict[str, Any] = field(default_factory=dict)
    # A job whose output directory already holds an "ok" results.json for the very
    # same configuration is not run again (re-running a sweep into its directory
    # finishes only what is missing). skip_finished=false runs it anyway.
    skip_finished: bool = True
