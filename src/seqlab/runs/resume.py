"""Resuming inside Keras: restore a checkpoint into a model, save one after every epoch.

The files and their guarantees are in `seqlab.runs.checkpoints`.
"""

from __future__ import annotations

import keras

from seqlab.errors import FolderError
from seqlab.runs.checkpoints import Checkpoint, Checkpoints


def restore(model, checkpoint: Checkpoint) -> None:
    """Load the checkpoint's model and optimizer variables into a compiled `model`."""
    model.optimizer.build(model.trainable_variables)  # so its variables load too
    try:
        model.load_weights(checkpoint.weights)
    except Exception as exc:  # h5py/Keras errors: the file passed its hash, the model differs
        raise FolderError(
            f"The checkpoint {checkpoint.weights} is complete but does not fit this model "
            f"({type(exc).__name__}: {exc}). Start over with trainer.resume=false (the earlier "
            "files are moved into .attic/), or run in a new folder."
        ) from None


class SaveCheckpoint(keras.callbacks.Callback):
    """After every epoch, checkpoint the model with the history rows logged so far.

    Must come after the EpochLog in the callback list: it saves the rows the log has
    just appended.
    """

    def __init__(self, checkpoints: Checkpoints, epoch_log, fingerprint: str) -> None:
        super().__init__()
        self.checkpoints = checkpoints
        self.epoch_log = epoch_log
        self.fingerprint = fingerprint

    def on_epoch_end(self, epoch, logs=None):
        self.checkpoints.save(self.model, epoch + 1, self.epoch_log.rows, self.fingerprint)
