"""A run's record, `results.json`: a typed object filled in step by step as the run goes."""

from __future__ import annotations

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
    status: str = "running"  # running -> ok | failed
    error: str | None = None
    error_type: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    timing: dict[str, Any] = field(default_factory=dict)
    memory: dict[str, Any] = field(default_factory=dict)
    cudnn: dict[str, Any] = field(default_factory=dict)
    device: dict[str, Any] = field(default_factory=dict)
    params: int | None = None
    env: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    files: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    traceback: str | None = None

    def fail(self, exc: BaseException) -> None:
        """Record a failure: seqlab's own errors as their message, others with a traceback."""
        self.status = "failed"
        self.error_type = type(exc).__name__
        if isinstance(exc, SeqlabError):
            self.error = str(exc)
        else:  # a crash inside Keras/TF: keep the run's record anyway
            self.error = f"{type(exc).__name__}: {exc}"
            self.traceback = tb.format_exc()

    def as_dict(self) -> dict[str, Any]:
        record = asdict(self)
        if record["traceback"] is None:
            del record["traceback"]
        return record
