"""A run's learning curves: loss and the task metric per epoch, as curves.png.

matplotlib is imported inside the functions (with the file-only Agg backend), so
importing seqlab stays fast and no display is ever needed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from seqlab.runs.files import write_atomic


def pyplot():
    """matplotlib.pyplot on the file-only Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def curves_chart(history: list[dict[str, Any]], metric: str, path: Path) -> Path | None:
    """Loss and the task metric per epoch, train and validation; None if nothing to plot."""
    if not history:
        return None
    plt = pyplot()
    epochs = [row["epoch"] for row in history]
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
    for ax, key in zip(axes, ("loss", metric), strict=True):
        for prefix, style in (("", "-o"), ("val_", "--s")):
            values = [row.get(prefix + key) for row in history]
            if any(v is not None for v in values):
                label = ("validation " if prefix else "train ") + key
                ax.plot(
                    epochs, [float("nan") if v is None else v for v in values], style, label=label
                )
        ax.set_xlabel("epoch")
        ax.set_title(key)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    write_atomic(Path(path), lambda tmp: fig.savefig(tmp, dpi=100), staged=True)
    plt.close(fig)
    return Path(path)
