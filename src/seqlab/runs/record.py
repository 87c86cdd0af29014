"""A run's record, `results.json`: a typed object filled in step by step as the run goes."""

from __future__ import annotations

import os
import platform
import time
import traceback as tb
from dataclasses import asdict, dataclass, field
from typing import Any

from seqlab.errors import SeqlabError


@dataclass
class RunRecord:
    """Everything results.json holds; each stage of the run fills in its own part."""

    title: str
    output_dir: str
    overrides: list[str]
    config: dict[str, Any]
    status: str = "running"  # running -> ok | failed | interrupted
    error: str | None = None
    error_type: str | None = None
    # Who runs it: a "running" record whose process is gone is incomplete.
    pid: int = field(default_factory=os.getpid)
    host: str = field(default_factory=platform.node)
    started_at: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%S%z"))
    # Epochs finished so far, the ones a resumed run took over included.
    epochs_finished: int = 0
    metrics: dict[str, Any] = field(default_factory=dict)
    timing: dict[str, Any] = field(default_factory=dict)
    memory: dict[str, Any] = field(default_factory=dict)
    cudnn: dict[str, Any] = field(default_factory=dict)
    device: dict[str, Any] = field(default_factory=dict)
    params: int | None = None
    env: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    # What the run started from: fingerprints of its initial weights, its data and its
    # data order (seqlab.runs.start_identity).
    start: dict[str, Any] = field(default_factory=dict)
    # The machine-load probe's samples (seqlab.runs.load_probe).
    load_probe: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    files: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    traceback: str | None = None

    def interrupt(self, signal_name: str, checkpoint_epoch: int | None) -> None:
        """Record a stop by SIGINT/SIGTERM after `epochs_finished` epochs.

        `checkpoint_epoch` is the epoch of the newest complete checkpoint, where a run
        started again resumes (None: it starts over).
        """
        self.status = "interrupted"
        self.error_type = "Interrupted"
        self.error = (
            f"Interrupted by {signal_name} after {self.epochs_finished} finished epoch(s). "
        )
        if checkpoint_epoch:
            self.error += (
                "Run the same command again (same folder) to resume from its checkpoint of "
                f"epoch {checkpoint_epoch}."
            )
        else:
            self.error += "Run the same command again to start it over."

    def fail(self, exc: BaseException) -> None:
        """Record a failure: seqlab's own errors as their message, others with a traceback."""
        self.status = "failed"
        self.error_type = type(exc).__name__
        if isinstance(exc, SeqlabError):
            self.error = str(exc)
        else:  # a crash inside Keras/TF: keep the run's record anyway
            self.error = f"{type(exc).__name__}: {exc}"
            self.traceback = tb.format_exc()

    def as_dict(self, compact: bool = False) -> dict[str, Any]:
        """The record as results.json holds it; `compact` leaves out what a reader can
        do without (when the disk has no room for more)."""
        record = asdict(self)
        if record["traceback"] is None or compact:
            record.pop("traceback")
        if compact:
            record["timing"] = {k: v for k, v in record["timing"].items() if k != "definitions"}
            record["load_probe"] = {k: v for k, v in record["load_probe"].items() if k != "samples"}
            record["compact"] = True
        return record
