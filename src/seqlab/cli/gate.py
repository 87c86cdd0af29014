"""Hydra callbacks that check a run before Hydra creates its folder.

Hydra creates the output folder of a job before it calls the job, so a config that
is refused there would leave a folder behind. `on_run_start` comes first: it
validates the config (no data, no TensorFlow) and stops a bad one with its message;
`seqlab.sweeps.callback.SweepSummary.on_multirun_start` guards a sweep's folder.
"""

from __future__ import annotations

import copy
import sys
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, open_dict
from rich.console import Console

from seqlab.config.checks import validate
from seqlab.config.schema import SeqlabConfig
from seqlab.errors import SeqlabError

EXIT_USER_ERROR = 2

# The config `on_run_start` validated, handed to the job it precedes (same process).
_validated: SeqlabConfig | None = None


def refuse(prog: str, exc: SeqlabError, code: int = EXIT_USER_ERROR) -> None:
    """Print a user error as one paragraph and exit; no traceback."""
    Console(stderr=True).print(f"{prog}: {exc}", highlight=False, markup=False, soft_wrap=True)
    sys.exit(code)


def task_config(config: DictConfig) -> DictConfig:
    """The job's config as the job will see it: everything but the `hydra` node."""
    task = copy.deepcopy(config)
    with open_dict(task):
        del task["hydra"]
    return task


def take_validated() -> SeqlabConfig | None:
    """The config validated for this run, once (a sweep's jobs validate their own)."""
    global _validated
    validated, _validated = _validated, None
    return validated


class RunGate(Callback):
    """Validates a single run's config before its folder exists, then claims the folder.

    The folder is created and locked here only once the config passed (the lock is
    held until the process ends), so a refused config leaves nothing behind, and a
    folder that is a file or cannot be written is refused with its path.
    """

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        global _validated
        from seqlab.runs.folder import hold_lock

        try:
            _validated = validate(task_config(config))
            hold_lock(config.hydra.run.dir, "run")
        except SeqlabError as exc:
            refuse("seqlab", exc)
