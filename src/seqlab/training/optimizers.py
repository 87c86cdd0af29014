"""Optimizers (`trainer.optimizer`) and learning-rate schedules (`trainer.lr_schedule`).

Both are registries read by validation and `seqlab --help` without importing Keras.
A schedule is a function of the optimizer's step; with gradient accumulation (chunked
stateful runs) the optimizer steps once per group of chunks, and so does the schedule.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from seqlab.registry import Registry
from seqlab.schema.options import TrainerConfig

# trainer.optimizer -> the keras.optimizers class
OPTIMIZERS: Registry[str] = Registry("optimizer", key="trainer.optimizer")
for _name, _class in (
    ("adam", "Adam"),
    ("adamw", "AdamW"),
    ("sgd", "SGD"),
    ("rmsprop", "RMSprop"),
    ("adagrad", "Adagrad"),
    ("nadam", "Nadam"),
):
    OPTIMIZERS.add(_name, _class)


def make_optimizer(cfg: TrainerConfig, accumulate: int | None = None, updates: int = 1):
    """The configured optimizer; `accumulate` > 1 sums that many steps' gradients per
    update; `updates` is how many updates the run makes (the schedule's length)."""
    import keras

    cls = getattr(keras.optimizers, OPTIMIZERS.get(cfg.optimizer))
    return cls(
        learning_rate=learning_rate(cfg, updates),
        clipnorm=cfg.clipnorm,
        gradient_accumulation_steps=accumulate,
    )


# (trainer config, optimizer updates of the whole run) -> a Keras learning rate
LR_SCHEDULES: Registry[Callable[[TrainerConfig, int], Any]] = Registry(
    "lr schedule", key="trainer.lr_schedule"
)


@LR_SCHEDULES.register("none")
def _constant(cfg: TrainerConfig, total: int) -> Any:
    return cfg.lr


@LR_SCHEDULES.register("cosine")
def _cosine(cfg: TrainerConfig, total: int) -> Any:
    import keras

    # Cosine decay from lr to 0 over the steps after the warm-up.
    return keras.optimizers.schedules.CosineDecay(
        cfg.lr, decay_steps=max(1, total - cfg.lr_warmup_steps), alpha=0.0
    )


@LR_SCHEDULES.register("step")
def _step(cfg: TrainerConfig, total: int) -> Any:
    import keras

    return keras.optimizers.schedules.ExponentialDecay(
        cfg.lr, decay_steps=cfg.lr_decay_steps, decay_rate=cfg.lr_decay_rate, staircase=True
    )


def learning_rate(cfg: TrainerConfig, total: int) -> Any:
    """The configured rate or schedule, with its linear warm-up when asked for."""
    rate = LR_SCHEDULES.get(cfg.lr_schedule)(cfg, total)
    if cfg.lr_warmup_steps:
        from seqlab.training.warmup import Warmup

        return Warmup(rate, cfg.lr_warmup_steps, cfg.lr)
    return rate


def describe(cfg: TrainerConfig, total: int) -> dict[str, Any]:
    """What results.json records about the schedule."""
    described: dict[str, Any] = {"name": cfg.lr_schedule, "lr": cfg.lr, "updates": total}
    if cfg.lr_warmup_steps:
        described["warmup_steps"] = cfg.lr_warmup_steps
    if cfg.lr_schedule == "step":
        described |= {"decay_steps": cfg.lr_decay_steps, "decay_rate": cfg.lr_decay_rate}
    return described
