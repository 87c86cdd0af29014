"""Stateful training of long sequences in consecutive chunks (`model.stateful=true`).

A long sequence of T steps is cut into T / C chunks of C steps. The sequences are
grouped `batch_size` at a time, and each group becomes T / C consecutive batches of
shape (batch_size, C, ...): sample i of batch k+1 is the chunk right after sample i
of batch k, so the recurrent layers (built with `stateful=True`) carry their final
states from one batch into the next. `seqlab.training.layouts.StateReset` zeroes the
states before the first chunk of every group, which covers the start of every epoch,
every evaluation and every prediction (Keras counts batches from 0 in each of them).

The dataset's target belongs to the whole sequence, so only a group's last chunk is
scored: the other chunks get sample weight 0 and only carry state forward. Gradients
do not cross chunk boundaries (truncated backpropagation through time); the
optimizer accumulates the gradients of a group's chunks and updates once per group
(Keras's `gradient_accumulation_steps`).

`model.reset_state=chunk` zeroes the states before every chunk instead: the same
data, weights and updates with no memory across chunks, the baseline that shows
what carrying state buys.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ChunkLayout:
    """How one group of `batch_size` sequences is cut into consecutive chunk batches."""

    batch_size: int
    chunk_length: int
    chunks: int  # chunks per sequence

    def last_chunk_weight(self, real: int, padded: int) -> float:
        """The sample weight of a real sequence's last chunk.

        Keras averages the weighted loss over every sample of a batch and then over
        the batches of an epoch, so the reported loss is the mean over real
        sequences only when the scored chunks weigh chunks * padded / real (every
        batch has the same size). Weighted metrics divide by the sum of the weights,
        so the scale does not change them, and with gradient accumulation (which
        averages over the group's chunks) the update is the one of the last chunk's
        mean loss.
        """
        return self.chunks * padded / real


def arrange(
    x: np.ndarray, y: np.ndarray, layout: ChunkLayout, *, pad: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lay out (x, y) as consecutive chunk batches, in order, with sample weights.

    Returns x of shape (groups * chunks * batch, chunk_length, ...), y repeated for
    every chunk, and weights that are nonzero on the last chunk of real sequences
    only. With `pad`, the last partial group is filled with zero sequences of weight
    0 (every sequence is scored); without, it is dropped.
    """
    b, n, c = layout.batch_size, layout.chunks, layout.chunk_length
    real = len(x)
    groups = -(-real // b) if pad else real // b
    padded = groups * b
    if padded > real:
        x = np.concatenate([x, np.zeros((padded - real, *x.shape[1:]), x.dtype)])
        y = np.concatenate([y, np.zeros((padded - real, *y.shape[1:]), y.dtype)])
    x, y = x[:padded], y[:padded]
    kept = min(real, padded)
    # (groups*b, n*c, ...) -> (groups, b, n, c, ...) -> (groups, n, b, c, ...)
    xs = x.reshape(groups, b, n, c, *x.shape[2:])
    xs = np.moveaxis(xs, 2, 1).reshape(groups * n * b, c, *x.shape[2:])
    ys = np.broadcast_to(y.reshape(groups, 1, b, *y.shape[1:]), (groups, n, b, *y.shape[1:]))
    weights = np.zeros((groups, n, b), "float32")
    is_real = (np.arange(padded) < kept).reshape(groups, b)
    weights[:, -1, :] = is_real * layout.last_chunk_weight(kept, padded)
    return xs, ys.reshape(groups * n * b, *y.shape[1:]), weights.reshape(-1)
