"""Jobs of a sweep that refused to run this time, kept in the sweep folder for its summary.

A job that finds its folder unfit (a finished run trained on a data file that was
replaced since, another experiment, another process) prints why and is not run; its
folder keeps what it held, often an `ok` record of the earlier run. Without a trace the
summary read that record and counted the job ok. Each refusal is written as one small
file under `<sweep>/.refused/` (atomically; one per job folder), the summary lists the
job as `refused` with the message, and a sweep's start clears the folder: a refusal
speaks of the sweep that met it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from seqlab.records.files import read_json, write_json_atomic

REFUSED_DIR = ".refused"


def write_refusal(sweep_dir: Path, job_folder: Path, message: str) -> None:
    """Say that the job in `job_folder` (inside `sweep_dir`) refused to run, and why."""
    relative = os.path.normpath(os.path.relpath(job_folder, sweep_dir))
    name = hashlib.sha256(relative.encode()).hexdigest()[:16] + ".json"
    folder = Path(sweep_dir) / REFUSED_DIR
    folder.mkdir(parents=True, exist_ok=True)
    write_json_atomic(folder / name, {"folder": relative, "message": message})


def read_refusals(sweep_dir: Path) -> dict[str, str]:
    """{job folder relative to the sweep folder: message} of this sweep's refusals."""
    folder = Path(sweep_dir) / REFUSED_DIR
    found: dict[str, str] = {}
    if not folder.is_dir():
        return found
    for path in sorted(folder.glob("*.json")):
        try:
            entry = read_json(path)
            found[str(entry["folder"])] = str(entry["message"])
        except (OSError, ValueError, KeyError, TypeError):
            continue  # a damaged note says nothing; the job's own record still does
    return found


def clear_refusals(sweep_dir: Path) -> None:
    """Forget an earlier sweep's refusals (this sweep runs every job again)."""
    shutil.rmtree(Path(sweep_dir) / REFUSED_DIR, ignore_errors=True)
