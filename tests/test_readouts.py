"""Every readout on masked data equals the same model run on each sequence's real steps alone.

The reference needs no knowledge of masks: each example is cut to its valid steps and
fed, unpadded and unmasked, to a model with the same weights. A masked model must give
the same output for every readout, padding side, direction and implementation (the
manual loop steps backwards by itself; the fused layer and RNN(cell) leave it to
Keras). The bidirectional + post-padding + sequence_last case read exactly zero
before (Keras zeroes padded outputs in Bidirectional).
"""

from __future__ import annotations

import numpy as np
import pytest

from seqlab.models.builder import InputSpec, build_model
from seqlab.schema.options import ModelConfig

STEPS, FEATURES, MASK = 7, 3, -1.0
LENGTHS = [7, 5, 2, 4]


def _padded(side: str) -> np.ndarray:
    rng = np.random.default_rng(0)
    x = np.full((len(LENGTHS), STEPS, FEATURES), MASK, "float32")
    for i, n in enumerate(LENGTHS):
        values = rng.uniform(0.0, 1.0, size=(n, FEATURES))
        if side == "post":
            x[i, :n] = values
        else:
            x[i, STEPS - n :] = values
    return x


@pytest.mark.parametrize("impl", ["layer", "manual"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("side", ["post", "pre"])
@pytest.mark.parametrize("readout", ["output", "final_state", "sequence_last", "sequence_mean"])
def test_a_masked_readout_equals_the_unpadded_sequence_alone(readout, side, bidirectional, impl):
    model_cfg = ModelConfig(
        cell="gru", units=4, layers=2, readout=readout, bidirectional=bidirectional
    )
    masked = build_model(InputSpec(STEPS, FEATURES, None, mask_value=MASK), model_cfg, impl, 2)
    x = _padded(side)
    out = np.asarray(masked(x))
    for i, n in enumerate(LENGTHS):
        real = x[i : i + 1, :n] if side == "post" else x[i : i + 1, STEPS - n :]
        alone = build_model(InputSpec(n, FEATURES, None), model_cfg, impl, 2)
        alone.set_weights(masked.get_weights())  # weights do not depend on the length
        expected = np.asarray(alone(real))[0]
        np.testing.assert_allclose(out[i], expected, atol=1e-5, err_msg=f"example {i}, {n} steps")
