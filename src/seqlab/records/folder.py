"""One folder, one experiment: the lock, the config fingerprint, and moving old runs aside.

- A process that runs in a folder holds `seqlab.lock` with `flock`: the kernel drops
  the lock when the process dies, however it dies, so a lock is never stale; the
  file's text (pid, host, start, command) is there for the message a second process
  prints when it is refused.
- A folder's experiment is the fingerprint of its resolved config, leaving out the
  options that change neither what is computed nor how it is measured
  (`IGNORED_KEYS`). A different experiment in a folder that holds a run is refused,
  naming the keys that differ.
- Nothing a user produced is deleted: starting over (`trainer.resume=false`,
  `skip_finished=false`, or after a failed run) moves the earlier files into
  `.attic/<time>/` inside the folder.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import hashlib
import json
import os
import platform
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from seqlab.errors import FolderError

LOCK_FILE = "seqlab.lock"
ATTIC_DIR = ".attic"
# Config keys that change neither what a run computes nor how it is measured.
IGNORED_KEYS = (
    "skip_finished",
    "notes",
    "report",
    "tracking",
    "trainer.progress",
    "trainer.resume",
)


def flatten(config: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"a": {"b": 1}} -> {"a.b": 1}."""
    flat: dict[str, Any] = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


def experiment_keys(config: dict[str, Any]) -> dict[str, Any]:
    """The flattened config without the keys that do not define the experiment."""
    return {
        key: value
        for key, value in flatten(config).items()
        if not any(key == k or key.startswith(k + ".") for k in IGNORED_KEYS)
    }


def fingerprint(config: dict[str, Any]) -> str:
    """A short hash of what defines the experiment."""
    text = json.dumps(experiment_keys(config), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def differing_keys(before: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """`key: old -> new` for every key that defines the experiment and differs."""
    a, b = experiment_keys(before), experiment_keys(now)
    return [
        f"{key}: {a.get(key, '(absent)')!r} -> {b.get(key, '(absent)')!r}"
        for key in sorted(set(a) | set(b))
        if a.get(key, "(absent)") != b.get(key, "(absent)")
    ]


class FolderLock:
    """An exclusive `flock` on `<folder>/seqlab.lock`, held until `release` or death."""

    def __init__(self, folder: Path, what: str) -> None:
        self.folder = Path(folder)
        self.path = self.folder / LOCK_FILE
        self.what = what
        self._fd: int | None = None

    def acquire(self) -> FolderLock:
        while True:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
            except OSError as exc:  # a directory or a symbolic link in the lock's place
                raise FolderError(
                    f"{self.path} cannot be used as seqlab's lock file ({exc.strerror}): it "
                    "must be a plain file, which seqlab creates itself. Remove whatever is "
                    "there, or use another folder."
                ) from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read_holder(fd)
                os.close(fd)
                raise FolderError(
                    f"{self.folder} is in use by another seqlab process ({holder}). Two "
                    f"processes in one {self.what} folder would run the same jobs twice and "
                    "record step times slowed by each other. Wait for it to finish (or stop "
                    "it), or give this one its own folder (hydra.run.dir=... for a run, "
                    "hydra.sweep.dir=... for a sweep)."
                ) from None
            # The file may have been removed and recreated by the holder we waited
            # for; only a lock on the file that is at the path now counts.
            if _same_file(fd, self.path):
                break
            os.close(fd)
        text = json.dumps(
            {
                "pid": os.getpid(),
                "host": platform.node(),
                "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "command": " ".join(sys.argv),
            }
        )
        os.ftruncate(fd, 0)
        os.pwrite(fd, text.encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            self.path.unlink()
        os.close(self._fd)  # closing drops the flock
        self._fd = None


def _read_holder(fd: int) -> str:
    try:
        holder = json.loads(os.pread(fd, 4096, 0).decode() or "{}")
    except (OSError, ValueError):
        holder = {}
    return (
        f"pid {holder.get('pid', '?')} on {holder.get('host', '?')}, started "
        f"{holder.get('started_at', '?')}: {holder.get('command', '?')}"
    )


def _same_file(fd: int, path: Path) -> bool:
    try:
        now = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (held.st_dev, held.st_ino) == (now.st_dev, now.st_ino)


# Locks this process holds, by folder: a run's gate takes the lock before Hydra's job
# starts, and the job, in the same process, finds it already held.
_held: dict[Path, FolderLock] = {}


def make_folder(folder: Path, what: str) -> Path:
    """Create `folder` (and its parents), or say in one paragraph why that is impossible."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise FolderError(
            f"The {what} folder {folder} is an existing file, not a folder. Remove or rename "
            f"the file, or choose another folder (hydra.run.dir=... / hydra.sweep.dir=...)."
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".seqlab-write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise FolderError(
            f"The {what} folder {folder} cannot be created or written to: {exc.strerror} "
            f"(errno {exc.errno}, {exc.filename}). Make it writable, free space, or choose "
            "another folder (hydra.run.dir=... / hydra.sweep.dir=...)."
        ) from None
    return folder


def hold_lock(folder: Path, what: str) -> FolderLock:
    """Create `folder` and take its lock for the rest of this process (or until released)."""
    key = Path(folder).resolve()
    if key not in _held:
        make_folder(folder, what)
        _held[key] = FolderLock(folder, what).acquire()
        atexit.register(_held[key].release)  # the kernel drops it anyway; tidy the file
    return _held[key]


@contextlib.contextmanager
def hold(folder: Path, what: str):
    """The folder's lock for the block; a lock this process already holds is reused."""
    key = Path(folder).resolve()
    if key in _held:
        yield _held[key]
        return
    lock = hold_lock(folder, what)
    try:
        yield lock
    finally:
        _held.pop(key, None)
        lock.release()


def lock_is_held(folder: Path) -> bool:
    """Whether a live process holds the folder's lock (a probe that takes it at once)."""
    path = Path(folder) / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(fd)
    return False


def move_aside(folder: Path, reason: str) -> Path | None:
    """Move everything of an earlier run in `folder` into `.attic/<time>/`; None if empty."""
    folder = Path(folder)
    keep = {LOCK_FILE, ATTIC_DIR}
    entries = [p for p in folder.iterdir() if p.name not in keep] if folder.is_dir() else []
    if not entries:
        return None
    attic = folder / ATTIC_DIR / time.strftime("%Y-%m-%dT%H-%M-%S")
    suffix = 1
    while attic.exists():
        attic = attic.with_name(f"{attic.name.split('+')[0]}+{suffix}")
        suffix += 1
    attic.mkdir(parents=True)
    for entry in entries:
        shutil.move(str(entry), attic / entry.name)
    (attic / "MOVED_ASIDE.txt").write_text(
        f"seqlab moved these files of an earlier run here on {time.strftime('%Y-%m-%d %H:%M:%S')}"
        f" because {reason}.\n"
    )
    return attic
