"""scikit-learn's bundled 8x8 handwritten digits, each image read as 8 steps of 8 pixels."""

from __future__ import annotations

from dataclasses import dataclass, field

from seqlab.data.registry import LoadedSplits, register_dataset
from seqlab.data.splits import holdout
from seqlab.errors import require
from seqlab.schema.options import DatasetConfig
from seqlab.schema.rules import fraction


@dataclass
class DigitsConfig(DatasetConfig):
    # There is no official test split: hold this fraction out as one (seeded by
    # split_seed + 1, so it never overlaps the validation split's draw).
    test_fraction: float = field(default=0.2, metadata=fraction())


@register_dataset("digits", DigitsConfig)
def load_digits(cfg: DigitsConfig) -> LoadedSplits:
    require("sklearn", "digits", "dataset=digits (scikit-learn's bundled 8x8 digits)")
    from sklearn.datasets import load_digits as sklearn_digits

    bunch = sklearn_digits()
    x = (bunch.images / 16.0).astype("float32")  # (1797, 8, 8): pixels 0..16 -> [0, 1]
    y = bunch.target.astype("int64")
    if cfg.test_fraction > 0:
        (x, y), (x_test, y_test) = holdout(x, y, cfg.test_fraction, seed=cfg.split_seed + 1)
    else:
        x_test = y_test = None
    return LoadedSplits(x, y, x_test, y_test, task="multiclass", num_classes=10)
