"""What only the loaded data can tell, checked right after loading and before building.

`check_arrays` looks at every dataset's arrays the same way; `check_data` then checks
them against the config (sequence length, masks, split sizes, cuDNN when it is
demanded). Part of the one validation stage: `seqlab.config.validate` checks the config
before anything runs, this checks the data before anything is built.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from seqlab.errors import ConfigError
from seqlab.schema.options import SeqlabConfig


def check_arrays(data: Any, name: str) -> None:
    """Every dataset's arrays, the same way: real numbers, time steps, finite values, one
    label per example, labels in the task's range. A file that breaks one of these is
    refused naming the split, instead of failing inside the framework later (a label of
    255 was a 200-line TensorFlow traceback)."""
    from seqlab.errors import DataError

    where = f"dataset {name!r}" + (f" ({data.source})" if getattr(data, "source", None) else "")
    splits = [("train", data.x_train, data.y_train), ("validation", data.x_val, data.y_val)]
    if data.x_test is not None:
        splits.append(("test", data.x_test, data.y_test))
    steps = np.asarray(data.x_train).shape[1:]
    for split, x, y in splits:
        x, y = np.asarray(x), np.asarray(y)
        problem = None
        if split == "test" and len(x) == 0:
            problem = "it is empty (a test split needs at least one example)"
        elif x.dtype.kind not in "biuf":
            problem = f"its inputs are {x.dtype} values, not real numbers"
        elif x.ndim < 2 or (len(x) and 0 in x.shape[1:]):
            problem = f"its inputs have the shape {x.shape}: no time steps or no features"
        elif len(x) and len(data.x_train) and x.shape[1:] != steps:
            problem = (
                f"its inputs have the shape {x.shape[1:]} per example and the training "
                f"split's have {steps}: the model is built for the training split's"
            )
        elif x.dtype.kind == "f" and x.size and not np.isfinite(x).all():
            problem = "its inputs hold NaN or infinite values"
        elif len(y) != len(x):
            problem = f"it has {len(x)} inputs but {len(y)} targets"
        elif data.task == "reconstruction":
            pass
        elif y.ndim != 1:
            problem = f"its targets have the shape {y.shape}; one target per example is needed"
        elif y.dtype.kind not in "biuf" or (y.size and not np.isfinite(y.astype("float64")).all()):
            problem = f"its targets are not finite real numbers ({y.dtype})"
        elif data.task in ("binary", "multiclass") and y.size:
            classes = data.num_classes or 2
            bad = (y < 0) | (y >= classes) | (y != np.round(y))
            if bad.any():
                problem = (
                    f"its labels must be whole numbers in [0, {classes}) and it has "
                    f"{sorted(set(np.asarray(y[bad]).tolist()))[:5]}"
                )
        if problem:
            raise DataError(
                f"The {split} split of {where} cannot be trained on: {problem}. Fix the "
                "file (or the loader that made it), or point dataset.path at the right one."
            )


def check_data(cfg: SeqlabConfig, data: Any, cudnn: Any) -> None:
    """What only the loaded data can tell; `cudnn` is the run's `CudnnReport`."""
    check_arrays(data, cfg.dataset.name)
    name, trainer, model = cfg.dataset.name, cfg.trainer, cfg.model
    if len(data.x_train) == 0 or len(data.x_val) == 0:
        where = (
            "the test split (dataset.validation=test; this dataset may have none)"
            if cfg.dataset.validation == "test"
            else f"dataset.val_fraction={cfg.dataset.val_fraction} of the training examples"
        )
        raise ConfigError(
            f"dataset {name!r} has {len(data.x_train)} training and {len(data.x_val)} "
            f"validation examples after dataset.limit={cfg.dataset.limit}, validating on "
            f"{where}; both need at least one. Raise dataset.limit, change "
            "dataset.val_fraction, or use dataset.validation=split."
        )
    if data.task == "reconstruction" and (data.vocab_size is not None or data.masked):
        raise ConfigError(
            f"dataset.target=reconstruction needs unpadded float features, and dataset "
            f"{name!r} has {'token ids' if data.vocab_size else 'padded sequences'}. "
            "Use it on mnist, fashion_mnist, digits or adding."
        )
    if model.stateful:
        steps = data.timesteps
        if steps % model.chunk_length:
            divisors = [d for d in range(2, steps // 2 + 1) if steps % d == 0] or [steps]
            hint = min(divisors, key=lambda d: abs(d - steps // 10))
            raise ConfigError(
                f"model.chunk_length={model.chunk_length} does not divide the sequence length "
                f"{steps}, so the last chunk would be cut short. Use a divisor of {steps} "
                f"(for example {hint}) or change the dataset's length."
            )
        if len(data.x_train) < trainer.batch_size:
            raise ConfigError(
                f"model.stateful=true needs at least trainer.batch_size={trainer.batch_size} "
                "training sequences (a batch holds that many sequences side by side), and "
                f"the training split here has {len(data.x_train)}. Lower trainer.batch_size "
                "or use more data."
            )
    elif trainer.drop_remainder and len(data.x_train) < trainer.batch_size:
        raise ConfigError(
            f"trainer.batch_size={trainer.batch_size} with trainer.drop_remainder=true leaves "
            f"no full batch of the {len(data.x_train)} training examples. Lower "
            "trainer.batch_size or set trainer.drop_remainder=false."
        )
    if cfg.impl.name == "unrolled" and model.bidirectional and data.masked:
        # Keras's unrolled loop zeroes the backward layer's masked outputs at the
        # wrong (unreversed) time steps, so it disagrees with the other three
        # implementations (keras-team/keras#17596 is the same family of bug).
        raise ConfigError(
            "impl=unrolled with model.bidirectional=true on masked input computes wrong "
            "outputs in Keras (the backward layer's mask is applied in the wrong time "
            "order). Use impl=layer, impl=cell_loop or impl=manual, or turn off masking."
        )
    if model.use_cudnn == "true" and not (cudnn.eligible and cudnn.gpu_present):
        reasons = cudnn.reasons or ["no GPU is in use (the cuDNN kernel runs only on one)"]
        raise ConfigError(
            "model.use_cudnn=true, but the cuDNN kernel cannot run here: "
            + "; ".join(reasons)
            + ". Change those options (or run with device=gpu on a GPU machine), or set "
            "model.use_cudnn=auto to accept the generic kernel."
        )
