"""Resuming inside Keras: restore a checkpoint into a compiled model.

The files and their guarantees are in `seqlab.runs.checkpoints`; the epoch-end step
(`seqlab.runs.epoch_end`) writes them.
"""

from __future__ import annotations

from seqlab.errors import FolderError
from seqlab.runs.checkpoints import Checkpoint


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
