"""Checkpoints that survive a kill at any instant, so an interrupted run resumes.

After every finished epoch the run writes `checkpoint/epoch_NNNN.weights.h5` (the
model's and the optimizer's variables) and then `checkpoint/epoch_NNNN.json` (the
epoch, the sha256 of the weights file, the experiment's fingerprint, the history so
far and the run's state: the early-stopping decision, the timing figures so far, the
data's fingerprint, the random states no weights file holds: the model's generators
and torch's global one). Each file is written under a temporary name, synced and renamed
(`seqlab.records.files.write_atomic`), and the JSON file is written last: it is the
commit mark, so a checkpoint whose JSON exists and whose weights match its hash is
complete. The two newest checkpoints are kept; a resumed run takes the newest one
that passes the check and says so when none does. The folder is removed when the
run finishes ok (the trained model is model.keras).

Keras's own BackupAndRestore is not used: it writes its files in place (a kill
mid-write leaves a half-written HDF5 file that fails every later start) and does not
check that the config is the same.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seqlab.errors import FolderError
from seqlab.records.files import read_json, temporary_of, write_atomic, write_json_atomic

CHECKPOINT_DIR = "checkpoint"
KEEP = 2
_NAME = re.compile(r"^epoch_(\d{4,})\.json$")
_SAVED = re.compile(r"^epoch_\d{4,}\.(json|weights\.h5)$")  # what `save` writes


def _ours(name: str) -> bool:
    """Whether `name` is a file `save` writes, or its temporary (`write_atomic`)."""
    return bool(_SAVED.match(name) or _SAVED.match(temporary_of(name) or ""))


@dataclass(frozen=True)
class Checkpoint:
    """A complete checkpoint: verified weights and the history up to its epoch."""

    epoch: int
    weights: Path
    history: list[dict[str, Any]]
    fingerprint: str
    # What else the run needs to go on as if uninterrupted: the early-stopping
    # decision, the timing figures so far, the data's fingerprint, the random states
    # (`rng`; the data order is a function of the seed and the epoch).
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def finished_training(self) -> bool:
        """Whether early stopping ended the training at this checkpoint's epoch."""
        return self.state.get("stopped_epoch") is not None


def _sha256(path: Path) -> str:
    if not Path(path).is_file():  # a FIFO under the name would block the read forever
        raise OSError(f"{path} is not a regular file")
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Checkpoints:
    """The checkpoints of one run folder."""

    def __init__(self, folder: Path) -> None:
        self.dir = Path(folder) / CHECKPOINT_DIR
        # Epochs of newer checkpoints `latest` found damaged and passed over (said in the
        # run's record and terminal: the resumed run redoes those epochs).
        self.passed_over: list[int] = []

    def _marks(self) -> list[tuple[int, Path]]:
        """(epoch, json path) of every commit mark, newest first."""
        if not self.dir.is_dir():
            return []
        marks = [(int(m.group(1)), p) for p in self.dir.iterdir() if (m := _NAME.match(p.name))]
        return sorted(marks, reverse=True)

    def present(self) -> bool:
        """Whether the folder holds anything `save` wrote (complete or not)."""
        return self.dir.is_dir() and any(_ours(p.name) for p in self.dir.iterdir())

    def _verified(self, epoch: int, mark: Path) -> Checkpoint | None:
        try:
            meta = read_json(mark)
            weights = self.dir / meta["weights"]
            history = meta["history"]
            # Every field of the shape seqlab writes: a mark edited by hand or by another
            # tool counts as damaged, and the older checkpoint is used instead.
            shaped = (
                isinstance(history, list)
                and len(history) == epoch
                and all(isinstance(row, dict) and row.get("epoch") == i + 1
                        for i, row in enumerate(history))
                and isinstance(meta["fingerprint"], str)
                and weights.parent == self.dir
            )  # fmt: skip
            if not shaped or int(meta["epoch"]) != epoch or _sha256(weights) != meta["sha256"]:
                return None
            state = meta.get("state") or {}
            if not isinstance(state, dict):
                return None
            return Checkpoint(epoch, weights, history, meta["fingerprint"], state)
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def latest(self) -> Checkpoint | None:
        """The newest complete checkpoint; None when there is none at all.

        Raises FolderError when checkpoint files exist but none is complete.
        """
        self.passed_over = []
        for epoch, mark in self._marks():
            checkpoint = self._verified(epoch, mark)
            if checkpoint is not None:
                return checkpoint
            self.passed_over.append(epoch)
        if self.present():
            raise FolderError(
                f"{self.dir} holds checkpoint files, but none is complete (each was cut "
                "short or its weights do not match their recorded hash), so this run cannot "
                "resume. Start it over with trainer.resume=false (the earlier files are moved "
                "into .attic/ in the run folder), or run it in a new folder."
            )
        return None

    def fingerprint(self) -> str | None:
        """The experiment the checkpoints belong to, from the newest readable mark."""
        for _, mark in self._marks():
            try:
                return str(read_json(mark)["fingerprint"])
            except (OSError, ValueError, KeyError, TypeError):
                continue
        return None

    def save(
        self,
        model,
        epoch: int,
        history: list[dict[str, Any]],
        fingerprint: str,
        state: dict[str, Any] | None = None,
    ) -> None:
        """Write the checkpoint of `epoch` (weights, then its commit mark); prune old ones."""
        self.dir.mkdir(parents=True, exist_ok=True)
        weights = self.dir / f"epoch_{epoch:04d}.weights.h5"
        write_atomic(weights, lambda tmp: model.save_weights(tmp), staged=True)
        write_json_atomic(
            self.dir / f"epoch_{epoch:04d}.json",
            {
                "epoch": epoch,
                "weights": weights.name,
                "sha256": _sha256(weights),
                "fingerprint": fingerprint,
                "history": history,
                "state": state or {},
            },
        )
        # Keep the newest complete checkpoints; drop older ones and whatever a kill
        # cut short (temporary files, weights without their mark).
        keep = set()
        for kept, _ in self._marks()[:KEEP]:
            keep |= {f"epoch_{kept:04d}.json", f"epoch_{kept:04d}.weights.h5"}
        for path in self.dir.iterdir():
            if path.name not in keep and _ours(path.name) and not path.is_dir():
                path.unlink(missing_ok=True)  # a user's own file there is left alone

    def clear(self) -> None:
        """Remove the checkpoints (and the folder, unless it holds files of the user's)."""
        if not self.dir.is_dir():
            return
        for path in self.dir.iterdir():
            if _ours(path.name) and not path.is_dir():
                path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            self.dir.rmdir()  # only when empty
