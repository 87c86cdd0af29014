"""What a run started from, as short fingerprints: its initial weights, its data, its order.

Two rows of a comparison mean something only if they differ in what the user swept:
runs of the same model function on the same data (differing in impl, backend, jit or
device) should start from the same weights, the same data and the same batch order.
`results.json` keeps these fingerprints under `start`; the sweep summary compares them
(`same_start`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from seqlab.data.loading import digest


def weights_fingerprint(model: Any) -> str:
    """The model's weights in `get_weights()` order: the order of the layers and, within a
    recurrent layer, kernel, recurrent kernel, bias. It is the same for every impl of a
    config (seqlab-predict --impl moves weights between impls in this order), and the
    values are rounded to float32 so that a backend's dtype quirks do not count."""
    return digest([np.asarray(w, dtype=np.float32) for w in model.get_weights()])


def order_fingerprint(run: Any) -> str:
    """The data order: the example indices of the first training batch, with the pipeline
    that serves them (tf.data on TensorFlow and NumPy elsewhere shuffle differently)."""
    indices = np.asarray(run.layout.first_batch(run.data), dtype=np.int64)
    return digest([indices])
