"""The baseline: parsed once, matched once, for every reader."""

from __future__ import annotations

import pytest

from seqlab.errors import ConfigError
from seqlab.reports.baseline import Baseline


@pytest.mark.parametrize("text", ["impl=cell_loop", "impl:cell_loop", " impl = cell_loop "])
def test_both_written_forms_are_one_baseline(text):
    assert Baseline.parse(text) == Baseline("impl", "cell_loop")
    assert str(Baseline.parse(text)) == "impl=cell_loop"


def test_each_configuration_pairs_with_the_one_differing_only_in_the_baseline_key():
    items = [
        {"model": "lstm", "impl": "cell_loop", "seed": "1"},
        {"model": "lstm", "impl": "layer", "seed": "1"},
        {"model": "gru", "impl": "layer", "seed": "1"},  # gru has no cell loop
        {"model": "lstm", "impl": "layer", "seed": "2"},  # nor does seed 2
        {"model": "lstm", "impl": "cell_loop", "seed": "1"},  # the same, in another sweep
    ]
    sweeps = ["a", "a", "a", "a", "b"]
    pairs = Baseline.parse("impl=cell_loop").pair(
        list(range(5)), lambda i: items[i], lambda i: sweeps[i]
    )
    assert pairs == {0: 0, 1: 0, 2: None, 3: None, 4: 4}
    assert Baseline("impl", "cell_loop").counterpart(items[2])["impl"] == "cell_loop"


def test_a_baseline_no_job_has_is_refused_naming_the_values_there_are():
    with pytest.raises(ConfigError, match="impl takes the values layer, manual here"):
        Baseline.parse("impl=cell_loop").check([{"impl": "layer"}, {"impl": "manual"}])
    with pytest.raises(ConfigError, match="no job has an override of model"):
        Baseline.parse("model=lstm").check([{"impl": "layer"}])
    Baseline.parse("impl:layer").check([{"impl": "layer"}])
