"""The optimizers `trainer.optimizer` names, and building one from the trainer config."""

from __future__ import annotations

from seqlab.config.schema import TrainerConfig
from seqlab.registry import Registry

# trainer.optimizer -> the keras.optimizers class
OPTIMIZERS: Registry[str] = Registry("optimizer")
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

    from seqlab.runs.schedules import learning_rate

    cls = getattr(keras.optimizers, OPTIMIZERS.get(cfg.optimizer))
    return cls(
        learning_rate=learning_rate(cfg, updates),
        clipnorm=cfg.clipnorm,
        gradient_accumulation_steps=accumulate,
    )
