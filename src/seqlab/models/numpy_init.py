"""Initial weights drawn in NumPy from the seed: the same start on every backend.

Keras draws each initializer's values with the backend's own random generator, so the
same seed gives TensorFlow, JAX and PyTorch different initial weights (measured: three
different hashes for one LSTM), and a comparison of backends would compare three
starts. Here every weight a layer creates with a known Keras initializer is drawn
again in NumPy, from the seed and the weight's place in `model.weights` (the same
place for every implementation of a config), with the same distribution as Keras's
initializer (its class and config: Glorot/He/LeCun and VarianceScaling, Orthogonal,
uniform, normal, truncated normal, zeros, ones, constants; the LSTM's unit forget
bias). Weights of an initializer it does not know (a custom cell's own) keep the
backend's values, and `initialize` names them.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

# (variable attribute, initializer attribute) of Keras's layers and cells.
PAIRS = (
    ("kernel", "kernel_initializer"),
    ("recurrent_kernel", "recurrent_initializer"),
    ("bias", "bias_initializer"),
    ("embeddings", "embeddings_initializer"),
    ("gamma", "gamma_initializer"),
    ("beta", "beta_initializer"),
    ("moving_mean", "moving_mean_initializer"),
    ("moving_variance", "moving_variance_initializer"),
)
# VarianceScaling's named forms: (scale, mode, distribution).
VARIANCE_SCALING = {
    "GlorotUniform": (1.0, "fan_avg", "uniform"),
    "GlorotNormal": (1.0, "fan_avg", "truncated_normal"),
    "HeUniform": (2.0, "fan_in", "uniform"),
    "HeNormal": (2.0, "fan_in", "truncated_normal"),
    "LecunUniform": (1.0, "fan_in", "uniform"),
    "LecunNormal": (1.0, "fan_in", "truncated_normal"),
}


def _fans(shape: tuple[int, ...]) -> tuple[float, float]:
    """Keras's compute_fans: the whole matrix (an LSTM kernel's four gates together)."""
    if len(shape) < 1:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    if len(shape) == 2:
        return float(shape[0]), float(shape[1])
    receptive = math.prod(shape[:-2])
    return float(shape[-2] * receptive), float(shape[-1] * receptive)


def _truncated_normal(rng: np.random.Generator, shape, mean: float, stddev: float):
    """Normal values, redrawn where more than two standard deviations from the mean."""
    values = rng.normal(0.0, 1.0, size=shape)
    outside = np.abs(values) > 2.0
    while outside.any():
        values[outside] = rng.normal(0.0, 1.0, size=int(outside.sum()))
        outside = np.abs(values) > 2.0
    return mean + stddev * values


def _variance_scaling(rng, shape, scale: float, mode: str, distribution: str):
    fan_in, fan_out = _fans(shape)
    scale /= max(1.0, {"fan_in": fan_in, "fan_out": fan_out}.get(mode, (fan_in + fan_out) / 2))
    if distribution == "uniform":
        limit = math.sqrt(3.0 * scale)
        return rng.uniform(-limit, limit, size=shape)
    if distribution == "untruncated_normal":
        return rng.normal(0.0, math.sqrt(scale), size=shape)
    # Keras divides by the standard deviation of a unit normal truncated at 2.
    return _truncated_normal(rng, shape, 0.0, math.sqrt(scale) / 0.87962566103423978)


def _orthogonal(rng, shape, gain: float):
    rows, cols = math.prod(shape[:-1]), shape[-1]
    flat = rng.normal(0.0, 1.0, size=(max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return gain * q.reshape(shape)


def draw(initializer: Any, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray | None:
    """NumPy values with `initializer`'s distribution; None for one it does not know."""
    name = type(initializer).__name__
    config = initializer.get_config() if hasattr(initializer, "get_config") else {}
    if name in VARIANCE_SCALING:
        return _variance_scaling(rng, shape, *VARIANCE_SCALING[name])
    if name == "VarianceScaling":
        return _variance_scaling(
            rng, shape, config["scale"], config["mode"], config["distribution"]
        )
    if name == "Orthogonal" and len(shape) >= 2:
        return _orthogonal(rng, shape, config.get("gain", 1.0))
    if name == "RandomUniform":
        return rng.uniform(config["minval"], config["maxval"], size=shape)
    if name == "RandomNormal":
        return rng.normal(config["mean"], config["stddev"], size=shape)
    if name == "TruncatedNormal":
        return _truncated_normal(rng, shape, config["mean"], config["stddev"])
    if name == "Zeros":
        return np.zeros(shape)
    if name == "Ones":
        return np.ones(shape)
    if name == "Constant":
        return np.full(shape, config["value"])
    return None


def _leaves(layer: Any):
    """Every layer and cell inside `layer` (wrappers, RNNs, stacked cells), once each."""
    seen: set[int] = set()
    stack = [layer]
    while stack:
        item = stack.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        stack += list(getattr(item, "layers", None) or [])
        stack += list(getattr(item, "cells", None) or [])
        stack += [getattr(item, name, None) for name in ("cell", "forward_layer", "backward_layer")]


def initialize(model: Any, seed: int) -> list[str]:
    """Draw every known-initializer weight of `model` in NumPy from `seed`; return the
    paths of trainable weights that kept the backend's own initial values."""
    place = {id(v): i for i, v in enumerate(model.weights)}
    done: set[int] = set()
    for layer in _leaves(model):
        for variable_name, initializer_name in PAIRS:
            variable = getattr(layer, variable_name, None)
            initializer = getattr(layer, initializer_name, None)
            if variable is None or initializer is None or id(variable) not in place:
                continue
            if id(variable) in done:
                continue
            shape = tuple(int(d) for d in variable.shape)
            rng = np.random.default_rng([seed, place[id(variable)]])
            if variable_name == "bias" and getattr(layer, "unit_forget_bias", False):
                # LSTMCell: [input, forget, cell, output] gates, the forget one at 1.0.
                units = shape[0] // 4
                value = draw(initializer, (units,), rng)
                if value is None:
                    continue
                rest = draw(initializer, (2 * units,), rng)
                value = np.concatenate([value, np.ones(units), rest])
            else:
                value = draw(initializer, shape, rng)
                if value is None:
                    continue
            variable.assign(value.astype(np.dtype(variable.dtype)))
            done.add(id(variable))
    return [v.path for v in model.trainable_weights if id(v) not in done]
