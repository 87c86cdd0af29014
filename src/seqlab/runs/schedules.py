"""Learning-rate schedules (`trainer.lr_schedule`), each a registry entry.

A schedule is a function of the optimizer's step. With gradient accumulation (chunked
stateful runs) the optimizer steps once per group of chunks, and so does the schedule.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from seqlab.config.schema import TrainerConfig
from seqlab.registry import Registry

# (trainer config, optimizer updates of the whole run) -> a Keras learning rate
LR_SCHEDULES: Registry[Callable[[TrainerConfig, int], Any]] = Registry("lr schedule")


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
        from seqlab.runs.warmup import Warmup

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
