"""What a run does with the folder it is given: skip it, resume it, start fresh, or refuse.

The rules (README, "What seqlab guarantees"):
- the same experiment, finished ok: skipped (`skip_finished=false` runs it again);
- the same experiment with a checkpoint: resumed from it (`trainer.resume=false`
  starts over);
- another experiment with a checkpoint or an ok result: refused, naming the keys
  that differ (`trainer.resume=false` starts over);
- anything else (a failed run, an unreadable record, leftovers): started fresh.
Starting fresh in a folder that holds files first moves them into `.attic/<time>/`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seqlab.errors import FolderError
from seqlab.records.checkpoints import Checkpoint, Checkpoints
from seqlab.records.files import RESULTS_FILE, RUN_FILES, temporary_of
from seqlab.records.folder import ATTIC_DIR, LOCK_FILE, differing_keys, fingerprint, move_aside
from seqlab.records.record import UnreadableRecord, load_record


@dataclass(frozen=True)
class Start:
    """The decision: "skip" (with the finished record), "resume" (from a checkpoint), "fresh"."""

    action: str
    previous: dict[str, Any] | None = None
    checkpoint: Checkpoint | None = None
    moved_to: Path | None = None
    warnings: tuple[str, ...] = ()


def decide(folder: Path, config: dict[str, Any], *, resume: bool, skip_finished: bool) -> Start:
    """Decide how to start `config` in `folder`, moving earlier files aside where needed."""
    folder = Path(folder)
    if (folder / "sweep.json").exists() or any(
        (child / RESULTS_FILE).exists() for child in folder.iterdir() if child.name.isdigit()
    ):
        raise FolderError(
            f"{folder} holds a sweep (its sweep.json or numbered job folders), and a single "
            "run there would move the sweep's jobs aside and mix its summary. Run in another "
            "folder (hydra.run.dir=...), or sweep into it with -m."
        )
    _remove_temporaries(folder)
    mine = fingerprint(config)
    try:
        record, problem = load_record(folder / RESULTS_FILE), None
    except UnreadableRecord as exc:
        record, problem = None, f"its results.json {exc}"
    checkpoints = Checkpoints(folder)
    theirs = checkpoints.fingerprint()
    if theirs is None and record is not None and isinstance(record.get("config"), dict):
        theirs = fingerprint(record["config"])
    guarded = checkpoints.present() or (record is not None and record.get("status") == "ok")

    if guarded and theirs is not None and theirs != mine:
        if not resume:
            return Start("fresh", moved_to=move_aside(folder, "trainer.resume=false"))
        before = (record or {}).get("config")
        keys = differing_keys(before, config) if isinstance(before, dict) else []
        raise FolderError(
            f"{folder} holds another experiment"
            + (f" ({'; '.join(keys[:8])}{' ...' if len(keys) > 8 else ''})" if keys else "")
            + ", and a folder holds one experiment: continuing would mix the two runs' "
            "weights and history. Run this config in a new folder (hydra.run.dir=... or "
            "hydra.sweep.dir=...), or start over here with trainer.resume=false (the earlier "
            "run's files are moved into .attic/ in that folder, not deleted)."
        )
    if record is not None and record.get("status") == "ok":
        checkpoints.clear()  # a kill between writing the record and clearing them
        if skip_finished:
            return Start("skip", previous=record)
        return Start("fresh", moved_to=move_aside(folder, "skip_finished=false ran it again"))
    if checkpoints.present():
        if not resume:
            return Start("fresh", moved_to=move_aside(folder, "trainer.resume=false"))
        checkpoint = checkpoints.latest()
        damaged = checkpoints.passed_over
        said = (
            f"the newest checkpoint(s) of epoch {', '.join(map(str, damaged))} in "
            f"{checkpoints.dir} were damaged (cut short, or weights that do not match their "
            f"hash) and were passed over: the run resumes from epoch {checkpoint.epoch} and "
            "trains the epochs after it again"
        )
        return Start("resume", checkpoint=checkpoint, warnings=(said,) if damaged else ())
    others = _not_seqlabs(folder, checkpoints)
    if record is None and others:
        raise FolderError(
            f"{folder} holds files no seqlab run wrote ({len(others)}: "
            f"{', '.join(sorted(others)[:5])}{' ...' if len(others) > 5 else ''}), and a run "
            "claims its whole folder: starting here would move them into .attic/. Give the "
            "run an empty or new folder (hydra.run.dir=...), or move those files away."
        )
    reason = problem or (
        f"the run there ended {record.get('status')!r}" if record else "it held other files"
    )
    return Start("fresh", moved_to=move_aside(folder, f"a new run started ({reason})"))


def _not_seqlabs(folder: Path, checkpoints: Checkpoints) -> list[str]:
    """The entries of `folder` when nothing in it proves a seqlab run (else none): a
    folder of the user's own files is refused rather than moved aside.

    Proof is what a seqlab run leaves before anything else: the .hydra/ folder it makes
    right after claiming the folder (a kill may leave it empty), its .attic/, or its
    checkpoints. A file that merely shares a name with one of a run's (the user's own
    model.keras, a results.json of theirs) proves nothing. Called when no seqlab
    record was read."""
    names = {entry.name for entry in folder.iterdir()} - {LOCK_FILE}
    proof = (folder / ".hydra").is_dir() or (folder / ATTIC_DIR).is_dir()
    return [] if proof or checkpoints.present() else sorted(names)


def _remove_temporaries(folder: Path) -> None:
    """Remove what a killed writer left half written (`write_atomic`'s temporaries of the
    run's files): this process holds the folder's lock, so no live process writes them."""
    for entry in folder.iterdir():
        if temporary_of(entry.name) in RUN_FILES and entry.is_file():
            entry.unlink(missing_ok=True)


def finished_read_only(folder: Path, config: dict[str, Any]) -> dict[str, Any] | None:
    """The record of a finished run of this experiment in a folder nobody may write (an
    archive, a read-only mount): it is skipped without taking the folder's lock, which
    cannot be created there, and which no writer could contend for."""
    import os

    folder = Path(folder)
    if not folder.is_dir() or os.access(folder, os.W_OK):
        return None
    try:
        record = load_record(folder / RESULTS_FILE)
    except UnreadableRecord:
        return None
    if not record or record.get("status") != "ok" or not isinstance(record.get("config"), dict):
        return None
    return record if fingerprint(record["config"]) == fingerprint(config) else None
