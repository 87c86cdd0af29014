"""seqlab's implementations against an oracle nobody here wrote: the expected values in the
RNN tests that ship inside the installed Keras (keras/src/layers/rnn/*_test.py).

Each Keras test builds a layer with constant weights, calls it on a fixed input and
compares the output with hard-coded numbers. Here the test runs with a stand-in for the
layer that records what it was asked for (its arguments and input) and the numbers it
was compared with; then seqlab builds the same layer in each of its implementations
(`cell_loop`, `manual`, `unrolled`) and must give those numbers.
"""

from __future__ import annotations

import importlib
import unittest
from typing import Any

import numpy as np
import pytest

from seqlab.models.cells import CELLS
from seqlab.models.impls import IMPLEMENTATIONS

RNN_KEYS = {"go_backwards", "return_sequences", "return_state", "unroll", "stateful"}
LAYER_ONLY = {"implementation", "use_cudnn", "seed"}


class _Recorded:
    """What one Keras test asked for: the layer's arguments, its input, the expected."""

    def __init__(self, cell: str, kwargs: dict[str, Any]) -> None:
        self.cell, self.kwargs = cell, kwargs
        self.inputs: Any = None
        self.expected: Any = None

    def __call__(self, inputs, *args, **kwargs):
        if args or kwargs:  # a mask, initial states, training: not this oracle's
            raise _Skip
        self.inputs = np.asarray(inputs)
        return self


class _Skip(Exception):
    pass


def _captured(module_name: str, cell: str) -> list[_Recorded]:
    """Run the Keras module's correctness tests against recording stand-ins."""
    module = importlib.import_module(f"keras.src.layers.rnn.{module_name}")
    layer_name = {"lstm": "LSTM", "gru": "GRU", "simple_rnn": "SimpleRNN"}[cell]
    found: list[_Recorded] = []

    class Layers:
        def __getattr__(self, name):
            if name == layer_name:
                return lambda *a, **kw: (
                    found.append(_Recorded(cell, {"units": a[0], **kw})) or (found[-1])
                )
            return getattr(module.layers, name)

    case_class = next(
        v for v in vars(module).values() if isinstance(v, type) and v.__name__.endswith("Test")
    )

    def record_close(self, actual, expected, *args, **kwargs):
        if isinstance(actual, _Recorded) and actual.inputs is not None:
            actual.expected = np.asarray(expected)

    suite = unittest.TestLoader().loadTestsFromTestCase(case_class)
    tests = [t for t in _flatten(suite) if "test_correctness" in t.id()]
    real_layers = module.layers
    module.layers = Layers()
    try:
        for test in tests:
            test.assertAllClose = record_close.__get__(test)
            try:
                getattr(test, test._testMethodName)()
            except _Skip:
                continue
    finally:
        module.layers = real_layers
    return [r for r in found if r.inputs is not None and r.expected is not None]


def _flatten(suite):
    for item in suite:
        if isinstance(item, unittest.TestSuite):
            yield from _flatten(item)
        else:
            yield item


def _seqlab_layer(recorded: _Recorded, impl: str):
    """The same layer built by seqlab's implementation `impl`."""
    family = CELLS.get(recorded.cell)
    kwargs = {k: v for k, v in recorded.kwargs.items() if k not in LAYER_ONLY}
    rnn_kw = {k: kwargs.pop(k) for k in list(kwargs) if k in RNN_KEYS}
    if impl == "unrolled":
        rnn_kw.pop("unroll", None)
    elif impl != "layer":
        rnn_kw.pop("unroll", None)  # a loop is a loop, unrolled or not
    return IMPLEMENTATIONS.get(impl).build(family, kwargs, rnn_kw, False)


CASES = [("lstm_test", "lstm"), ("gru_test", "gru"), ("simple_rnn_test", "simple_rnn")]


@pytest.mark.parametrize("impl", ["cell_loop", "manual", "unrolled"])
@pytest.mark.parametrize(("module_name", "cell"), CASES)
def test_each_impl_gives_the_numbers_kerass_own_tests_expect(module_name, cell, impl):
    recorded = _captured(module_name, cell)
    assert len(recorded) >= 3, f"found only {len(recorded)} of {module_name}'s cases"
    for case in recorded:
        layer = _seqlab_layer(case, impl)
        output = np.asarray(layer(case.inputs))
        np.testing.assert_allclose(
            output, case.expected, atol=1e-5, rtol=1e-5, err_msg=f"{impl}: {case.kwargs}"
        )


@pytest.mark.parametrize("impl", ["layer", "cell_loop", "manual", "unrolled"])
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_each_impl_matches_pytorchs_rnn_with_the_same_random_weights(cell, impl):
    """PyTorch's nn.LSTM / nn.GRU as the oracle: random weights (every unit different, so a
    transposed kernel or a permuted gate would show), copied in torch's layout. Keras's
    LSTM gates are i, f, c, o (torch: i, f, g, o); its GRU (reset_after) gates are z, r, h
    (torch: r, z, n), its bias rows the input's and the recurrent's."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    x = rng.normal(size=(4, 7, 3)).astype("float32")  # (batch, time, features)
    units = 5
    layer = _seqlab_layer(_Recorded(cell, {"units": units}), impl)
    layer(x)  # build
    kernel, recurrent, bias = (
        rng.normal(scale=0.5, size=w.shape).astype("float32") for w in layer.get_weights()
    )
    layer.set_weights([kernel, recurrent, bias])
    ours = np.asarray(layer(x))
    if cell == "lstm":
        reference = torch.nn.LSTM(3, units, batch_first=True)
        w_ih, w_hh = kernel.T, recurrent.T
        b_ih, b_hh = bias, np.zeros_like(bias)
    else:
        reference = torch.nn.GRU(3, units, batch_first=True)

        def order(m):  # Keras z, r, h -> torch r, z, n, along the gate axis
            z, r, h = np.split(m, 3, axis=0)
            return np.concatenate([r, z, h], axis=0)

        w_ih, w_hh = order(kernel.T), order(recurrent.T)
        b_ih, b_hh = order(bias[0]), order(bias[1])
    with torch.no_grad():
        for name, value in (
            ("weight_ih_l0", w_ih),
            ("weight_hh_l0", w_hh),
            ("bias_ih_l0", b_ih),
            ("bias_hh_l0", b_hh),
        ):
            getattr(reference, name).copy_(torch.from_numpy(np.ascontiguousarray(value)))
        theirs = reference(torch.from_numpy(x))[0][:, -1].numpy()
    np.testing.assert_allclose(ours, theirs, atol=1e-5)
