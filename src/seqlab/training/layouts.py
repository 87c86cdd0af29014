"""How batches are laid out: the plain layout, or consecutive chunks of long sequences.

A layout is the strategy the trainer plugs in: its pipelines, its step counts, the
callbacks it needs, how the loss is weighted, and how throughput is counted. The
trainer itself has no branch on the layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import keras
import numpy as np

from seqlab.data.arrays import batches_per_pass
from seqlab.data.chunks import ChunkLayout, arrange
from seqlab.data.loading import SequenceData
from seqlab.schema.options import SeqlabConfig, TrainerConfig


def _at_most(steps: int | None, available: int) -> int | None:
    """`steps` asked for (None: all), never more than the split holds: Keras stops there
    anyway, with a warning that the input ran out of data."""
    return None if steps is None else min(steps, max(available, 1))


def _pipeline():
    """The backend's pipeline module (tf.data on TensorFlow, NumPy arrays elsewhere)."""
    from seqlab.backends import current

    return current().pipeline()


@dataclass(frozen=True)
class PlainLayout:
    """Whole sequences, `trainer.batch_size` at a time."""

    cfg: TrainerConfig

    # The model's input batch size: free.
    input_batch_size: int | None = None

    def compile_options(self, task) -> dict[str, Any]:
        return {"metrics": task.metrics()}

    def accumulate(self) -> int | None:
        return None

    def steps_per_epoch(self, data: SequenceData) -> int:
        """Training batches per epoch, as Keras counts them."""
        full = batches_per_pass(len(data.x_train), self.cfg.batch_size, self.cfg.drop_remainder)
        return self.cfg.steps_per_epoch or full

    def fit_steps(self, data: SequenceData) -> dict[str, int | None]:
        # Always a count: fit reads the training stream (`train`) through one iterator.
        return {
            "steps_per_epoch": self.steps_per_epoch(data),
            "validation_steps": _at_most(
                self.cfg.validation_steps,
                batches_per_pass(len(data.x_val), self.cfg.batch_size, self._drop_validation(data)),
            ),
        }

    def test_steps(self, data: SequenceData) -> int | None:
        available = batches_per_pass(len(data.x_test), self.cfg.batch_size, False)
        return _at_most(self.cfg.test_steps, available)

    def train(self, data: SequenceData, first_epoch: int = 0):
        """The training batches of every epoch from `first_epoch` on, one stream: those
        of epoch e are a function of the seed and e, whatever process serves them."""
        return _pipeline().batches(
            data.x_train,
            data.y_train,
            self.cfg.batch_size,
            shuffle_seed=self.cfg.seed,
            shuffle_buffer=self.cfg.shuffle_buffer,
            drop_remainder=self.cfg.drop_remainder,
            steps=self.cfg.steps_per_epoch,
            first_epoch=first_epoch,
        )

    def _drop_validation(self, data: SequenceData) -> bool:
        # A validation split smaller than a batch still validates (on a partial batch).
        return self.cfg.drop_remainder and len(data.x_val) >= self.cfg.batch_size

    def validation(self, data: SequenceData):
        drop = self._drop_validation(data)
        return _pipeline().batches(data.x_val, data.y_val, self.cfg.batch_size, drop_remainder=drop)

    def test(self, data: SequenceData):
        return _pipeline().batches(data.x_test, data.y_test, self.cfg.batch_size)

    def evaluation(self, x: np.ndarray, y: np.ndarray, batch_size: int):
        return _pipeline().batches(x, y, batch_size)

    def callbacks(self) -> list:
        return []

    def first_batch(self, data: SequenceData) -> np.ndarray:
        """The example indices of the first training batch (the data order's fingerprint)."""
        return _pipeline().first_batch(
            len(data.x_train), self.cfg.batch_size, self.cfg.seed, self.cfg.shuffle_buffer
        )

    def sample(self, data: SequenceData) -> tuple:
        """One training batch as NumPy arrays (for backends that inspect a step)."""
        n = self.cfg.batch_size
        return data.x_train[:n], data.y_train[:n]

    def throughput_unit(self) -> tuple[int, int]:
        """(samples, steps): throughput counts this many samples per this many steps."""
        return self.cfg.batch_size, 1

    def settings(self, steps_per_epoch: int) -> dict[str, Any] | None:
        return None

    def predict(self, model, x: np.ndarray, batch_size: int) -> np.ndarray:
        return model.predict(x, batch_size=batch_size, verbose=0)


@dataclass(frozen=True)
class ChunkedLayout:
    """Long sequences in consecutive chunks for stateful layers (see seqlab.data.chunks).

    `trainer.steps_per_epoch`, `validation_steps` and `test_steps` count groups of
    whole sequences; Keras counts chunk batches, `chunks` of them per group.
    """

    cfg: TrainerConfig
    chunking: ChunkLayout
    reset_every: int  # chunk batches between state resets

    @classmethod
    def of(cls, cfg: SeqlabConfig, timesteps: int) -> ChunkedLayout:
        length = cfg.model.chunk_length
        chunking = ChunkLayout(cfg.trainer.batch_size, length, timesteps // length)
        every = chunking.chunks if cfg.model.reset_state == "sequence" else 1
        return cls(cfg.trainer, chunking, every)

    @property
    def input_batch_size(self) -> int:
        return self.chunking.batch_size

    def compile_options(self, task) -> dict[str, Any]:
        # Only the last chunk is scored, through sample weights, which Keras applies
        # to weighted_metrics only.
        return {"weighted_metrics": task.metrics()}

    def accumulate(self) -> int | None:
        # One optimizer update per group of chunks.
        return self.chunking.chunks if self.chunking.chunks > 1 else None

    def _chunk_steps(self, groups: int | None) -> int | None:
        return None if groups is None else groups * self.chunking.chunks

    def steps_per_epoch(self, data: SequenceData) -> int:
        groups = self.cfg.steps_per_epoch or len(data.x_train) // self.cfg.batch_size
        return groups * self.chunking.chunks

    def _groups(self, n: int) -> int:
        """Groups of whole sequences a split of `n` gives (the last zero-padded)."""
        return batches_per_pass(n, self.chunking.batch_size, False)

    def fit_steps(self, data: SequenceData) -> dict[str, int | None]:
        groups = _at_most(self.cfg.validation_steps, self._groups(len(data.x_val)))
        return {
            "steps_per_epoch": self.steps_per_epoch(data),
            "validation_steps": self._chunk_steps(groups),
        }

    def test_steps(self, data: SequenceData) -> int | None:
        return self._chunk_steps(_at_most(self.cfg.test_steps, self._groups(len(data.x_test))))

    def train(self, data: SequenceData, first_epoch: int = 0):
        """As PlainLayout.train: one stream of groups from `first_epoch` on."""
        return _pipeline().chunk_batches(
            data.x_train,
            data.y_train,
            self.chunking,
            shuffle_seed=self.cfg.seed,
            groups_per_epoch=self.cfg.steps_per_epoch,
            first_epoch=first_epoch,
        )

    def validation(self, data: SequenceData):
        return _pipeline().chunk_batches(
            data.x_val, data.y_val, self.chunking, groups=self.cfg.validation_steps
        )

    def test(self, data: SequenceData):
        return _pipeline().chunk_batches(
            data.x_test, data.y_test, self.chunking, groups=self.cfg.test_steps
        )

    def evaluation(self, x: np.ndarray, y: np.ndarray, batch_size: int):
        # The states were built for the run's batch size.
        return _pipeline().chunk_batches(x, y, self.chunking)

    def callbacks(self) -> list:
        return [StateReset(self.reset_every)]

    def first_batch(self, data: SequenceData) -> np.ndarray:
        """The sequences of the first training group (the data order's fingerprint)."""
        size = self.chunking.batch_size
        return _pipeline().first_batch(len(data.x_train), size, self.cfg.seed, None)

    def sample(self, data: SequenceData) -> tuple:
        """One chunk batch as NumPy arrays (for backends that inspect a step)."""
        b = self.chunking.batch_size
        xs, ys, ws = arrange(data.x_train[:b], data.y_train[:b], self.chunking, pad=False)
        return xs[:b], ys[:b], ws[:b]

    def throughput_unit(self) -> tuple[int, int]:
        # A step is one chunk batch; throughput counts whole sequences per whole group
        # of chunks, so the group's optimizer update (on its last chunk) is included.
        return self.chunking.batch_size, self.chunking.chunks

    def settings(self, steps_per_epoch: int) -> dict[str, Any]:
        return {
            "chunk_length": self.chunking.chunk_length,
            "chunks_per_sequence": self.chunking.chunks,
            "reset_state": "sequence" if self.reset_every > 1 else "chunk",
            "optimizer_updates_per_epoch": steps_per_epoch // self.chunking.chunks,
        }

    def predict(self, model, x: np.ndarray, batch_size: int) -> np.ndarray:
        """The model's output for each whole sequence of `x`: its output on the last chunk."""
        layout = self.chunking
        xs, _, _ = arrange(x, np.zeros(len(x), "float32"), layout, pad=True)
        out = model.predict(
            xs,
            batch_size=layout.batch_size,
            callbacks=[StateReset(self.reset_every)],
            verbose=0,
        )
        # (groups * chunks * batch, ...) -> (groups, chunks, batch, ...): keep the last chunk.
        out = out.reshape(-1, layout.chunks, layout.batch_size, *out.shape[1:])[:, -1]
        return out.reshape(-1, *out.shape[2:])[: len(x)]


def layout_for(cfg: SeqlabConfig, data: SequenceData) -> PlainLayout | ChunkedLayout:
    if cfg.model.stateful:
        return ChunkedLayout.of(cfg, data.timesteps)
    return PlainLayout(cfg.trainer)


def stateful_layers(model) -> list:
    return [layer for layer in _all_layers(model) if getattr(layer, "stateful", False)]


def _all_layers(model):
    for layer in model.layers:
        yield layer
        if hasattr(layer, "layers"):
            yield from _all_layers(layer)


def reset_states(model) -> None:
    """Zero the carried states of every stateful recurrent layer of `model`."""
    for layer in stateful_layers(model):
        # keras.tree.flatten: stacked cells keep one list of states per cell, which
        # RNN.reset_state does not descend into.
        for state in keras.tree.flatten(layer.states or []):
            state.assign(keras.ops.zeros_like(state))


class StateReset(keras.callbacks.Callback):
    """Zeroes the carried states before the first chunk of each group of sequences.

    `every` is the number of chunk batches per group (`model.reset_state=sequence`),
    or 1 to reset before every chunk (`model.reset_state=chunk`).
    """

    def __init__(self, every: int) -> None:
        super().__init__()
        self.every = every

    def _maybe_reset(self, batch, logs=None):
        if batch % self.every == 0:
            reset_states(self.model)

    on_train_batch_begin = _maybe_reset
    on_test_batch_begin = _maybe_reset
    on_predict_batch_begin = _maybe_reset
