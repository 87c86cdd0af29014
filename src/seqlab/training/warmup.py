"""A learning rate that rises linearly from 0 for some steps, then follows a schedule.

Its own module because it imports Keras (config validation reads the schedule names
in `seqlab.training.optimizers` without starting a backend).
"""

from __future__ import annotations

from typing import Any

import keras


@keras.saving.register_keras_serializable(package="seqlab")
class Warmup(keras.optimizers.schedules.LearningRateSchedule):
    """target * (step + 1) / steps for the first `steps` steps, then `after(step - steps)`."""

    def __init__(self, after: Any, steps: int, target: float) -> None:
        self.after = after  # a schedule, or a constant rate
        self.steps = steps
        self.target = target

    def __call__(self, step):
        step = keras.ops.cast(step, "float32")
        rising = self.target * (step + 1.0) / self.steps
        later = self.after(step - self.steps) if callable(self.after) else self.after
        return keras.ops.where(step < self.steps, rising, later)

    def get_config(self) -> dict[str, Any]:
        after = self.after
        if callable(after):
            after = keras.optimizers.schedules.serialize(after)
        return {"after": after, "steps": self.steps, "target": self.target}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Warmup:
        after = config["after"]
        if isinstance(after, dict):
            after = keras.optimizers.schedules.deserialize(after)
        return cls(after, config["steps"], config["target"])
