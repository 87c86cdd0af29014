"""Loss, metrics and output width for each task; the trainer never assumes classification."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import keras
from keras import ops


@dataclass(frozen=True)
class TaskSpec:
    """How a task is trained and scored. The model always outputs logits/raw values."""

    output_units: int
    metric: str  # the task's headline metric, as named in Keras logs
    higher_is_better: bool

    def loss(self) -> Any:
        raise NotImplementedError

    def metrics(self) -> list[Any]:
        raise NotImplementedError


class Binary(TaskSpec):
    def loss(self):
        return keras.losses.BinaryCrossentropy(from_logits=True)

    def metrics(self):
        # The head outputs logits, so the decision threshold is 0, not 0.5.
        return [keras.metrics.BinaryAccuracy(name="accuracy", threshold=0.0)]


class Multiclass(TaskSpec):
    def loss(self):
        return keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def metrics(self):
        return [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]


class Regression(TaskSpec):
    def loss(self):
        return keras.losses.MeanSquaredError()

    def metrics(self):
        return [
            keras.metrics.MeanSquaredError(name="mse"),
            keras.metrics.MeanAbsoluteError(name="mae"),
        ]


@keras.saving.register_keras_serializable(package="seqlab")
def pixel_mse(y_true, logits):
    """Mean squared error of the reconstruction (sigmoid of the logits) against [0, 1] targets."""
    return ops.mean(ops.square(ops.sigmoid(logits) - y_true), axis=-1)


class Reconstruction(TaskSpec):
    """Targets are the inputs (pixels in [0, 1]); the model emits one logit per pixel."""

    def loss(self):
        # The seeds' autoencoder loss: sigmoid cross-entropy on logits, per pixel.
        return keras.losses.BinaryCrossentropy(from_logits=True)

    def metrics(self):
        return [keras.metrics.MeanMetricWrapper(pixel_mse, name="pixel_mse")]


def task_spec(task: str, num_classes: int | None, features: int | None = None) -> TaskSpec:
    """The TaskSpec for a dataset's `task` (binary, multiclass, regression, reconstruction)."""
    if task == "binary":
        return Binary(output_units=1, metric="accuracy", higher_is_better=True)
    if task == "multiclass":
        if not num_classes or num_classes < 2:
            raise ValueError(f"a multiclass task needs num_classes >= 2, got {num_classes}")
        return Multiclass(output_units=num_classes, metric="accuracy", higher_is_better=True)
    if task == "regression":
        return Regression(output_units=1, metric="mse", higher_is_better=False)
    if task == "reconstruction":
        return Reconstruction(
            output_units=features or 1, metric="pixel_mse", higher_is_better=False
        )
    raise ValueError(f"unknown task {task!r}")
