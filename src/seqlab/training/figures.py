"""A run's figures: its learning curves (curves.png) and, for autoencoders, its
reconstructions beside the held-out images (reconstructions/epoch_NNN.png).

matplotlib is imported inside the functions (with the file-only Agg backend), so
importing seqlab stays fast and no display is ever needed. The reconstruction grids
follow the seed's autoencoder, which pastes 100 reconstructed 28x28 test images into
one 280x280 greyscale PNG with Pillow after every epoch; seqlab puts the inputs' 10x10
grid on the left and the reconstructions' on the right, so a glance says whether the
model reconstructs anything.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from seqlab.errors import require
from seqlab.records.files import write_atomic


def pyplot():
    """matplotlib.pyplot on the file-only Agg backend (MissingExtra without it)."""
    require("matplotlib", "charts", "the charts (curves.png, summary.png)")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def pillow():
    """PIL.Image (MissingExtra without Pillow)."""
    require("PIL", "images", "the reconstruction pictures")
    from PIL import Image

    return Image


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


GRID = 10  # tiles per side
GAP = 4  # pixels between the two grids
MIN_TILE = 28  # small images (digits' 8x8) are scaled up to at least this


def tile_grid(images: np.ndarray, grid: int = GRID):
    """A grid x grid greyscale mosaic of (n, height, width) images in [0, 1], row-major."""
    Image = pillow()
    n, height, width = images.shape
    scale = max(1, -(-MIN_TILE // max(height, width)))  # ceil: 8 -> 4x
    canvas = Image.new("L", (grid * width * scale, grid * height * scale))
    pixels = (np.clip(images, 0.0, 1.0) * 255.0).astype(np.uint8)
    for index in range(min(n, grid * grid)):
        tile = Image.fromarray(pixels[index], mode="L")
        if scale > 1:
            tile = tile.resize((width * scale, height * scale), Image.NEAREST)
        row, col = divmod(index, grid)
        canvas.paste(tile, (col * width * scale, row * height * scale))
    return canvas


def side_by_side(inputs: np.ndarray, reconstructions: np.ndarray):
    Image = pillow()
    left, right = tile_grid(inputs), tile_grid(reconstructions)
    canvas = Image.new("L", (left.width + GAP + right.width, left.height), color=128)
    canvas.paste(left, (0, 0))
    canvas.paste(right, (left.width + GAP, 0))
    return canvas
