"""seqlab's Hydra callbacks: thin hooks that hand a run or a sweep to seqlab's own code.

Hydra creates a job's output folder before it calls the job, so a config refused there
would leave a folder behind: `RunGate.on_run_start` validates a single run's config
(no data, no TensorFlow) and claims its folder first. `SweepHooks.on_multirun_start`
checks a sweep before its first job (`seqlab.sweeps.guard`), `on_multirun_end` writes
its summary. Hydra turns an exception raised in a callback into a warning and goes on
(a sweep whose summary failed exited 0); here any failure is one paragraph and a
non-zero exit: 2 when the user must change something, 1 otherwise.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from seqlab.errors import ConfigError, Exit, SeqlabError, one_line, refuse
from seqlab.schema.options import SeqlabConfig
from seqlab.sweeps.plan import task_config

# The config `on_run_start` validated, handed to the job it precedes (same process).
_validated: SeqlabConfig | None = None


def take_validated() -> SeqlabConfig | None:
    """The config validated for this run, once (a sweep's jobs validate their own)."""
    global _validated
    validated, _validated = _validated, None
    return validated


def never_a_warning(what: str) -> Callable:
    """A failure in a hook is one paragraph and exit 2 (the user's to fix) or 1."""

    def decorate(method: Callable) -> Callable:
        @functools.wraps(method)
        def guarded(self, config: DictConfig, **kwargs: Any) -> None:
            try:
                method(self, config, **kwargs)
            except SeqlabError as exc:
                refuse("seqlab", exc)
            except Exception as exc:
                detail = one_line(exc, 500)
                where = config.hydra.sweep.dir
                refuse(
                    "seqlab",
                    f"{what} failed ({type(exc).__name__}: {detail}). The jobs' own records "
                    f"are in their folders under {where}; fix the cause, then write the "
                    f"summary with `seqlab-report {where}`.",
                    Exit.FAILED,
                )

        return guarded

    return decorate


class RunGate(Callback):
    """Validates a single run's config before its folder exists, then claims the folder.

    The folder is created and locked here only once the config passed (the lock is
    held until the process ends), so a refused config leaves nothing behind, and a
    folder that is a file or cannot be written is refused with its path.
    """

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        global _validated
        from seqlab.config.validate import validate
        from seqlab.records.folder import hold_lock

        try:
            run_dir = str(config.hydra.run.dir)
            if not run_dir.strip():  # an unset shell variable: the current folder, claimed
                raise ConfigError(
                    "hydra.run.dir is empty, which would make the current folder the run's "
                    "folder (a run claims its whole folder). Give it a folder of its own, "
                    "e.g. hydra.run.dir=outputs/my_run, or leave it out (outputs/<date>/<time>)."
                )
            task = task_config(config)
            _validated = validate(task)
            _refuse_inside_a_sweep(Path(run_dir))
            if not _finished_in_a_read_only_folder(run_dir, task):  # skipped without a lock
                hold_lock(run_dir, "run")
        except SeqlabError as exc:
            refuse("seqlab", exc)
        except Exception as exc:  # e.g. an interpolation in hydra.run.dir
            detail = one_line(exc, 500)
            refuse("seqlab", f"Checking the configuration failed ({type(exc).__name__}: "
                             f"{detail}). Fix the value it names; nothing was run.")  # fmt: skip


def _finished_in_a_read_only_folder(run_dir: str, task: DictConfig) -> bool:
    from omegaconf import OmegaConf

    from seqlab.runs.decision import finished_read_only

    config = OmegaConf.to_container(task, resolve=True)
    return finished_read_only(Path(run_dir), config) is not None


def _refuse_inside_a_sweep(run_dir: Path) -> None:
    """A single run never goes into a sweep's folder: it would take a job's place (and
    run before the job, or beside it), and the summary would count it as the job."""
    from seqlab.reports.rows import SWEEP_FILE

    for parent in list(run_dir.absolute().parents)[:4]:
        if (parent / SWEEP_FILE).is_file():
            raise ConfigError(
                f"hydra.run.dir={run_dir} lies inside the sweep folder {parent} (it holds "
                f"{SWEEP_FILE}): a single run there would take the place of one of the "
                "sweep's jobs. Run the sweep's command again to (re)run its jobs, or give "
                "the single run a folder of its own."
            )


class SweepHooks(Callback):
    """Checks a sweep before its first job; writes and prints its summary at the end.

    Exits non-zero after writing when any job is not ok (failed, interrupted,
    incomplete, unreadable, not run), so scripts notice; the finished jobs' results
    stay where they are.
    """

    @never_a_warning("Setting up the sweep")
    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        from seqlab.sweeps.guard import begin

        begin(config)

    @never_a_warning("Writing the sweep's summary")
    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        from seqlab.errors import FolderError
        from seqlab.records.files import read_json
        from seqlab.records.tracking import PARENT_KEY, end_parent
        from seqlab.reports.rows import SWEEP_FILE
        from seqlab.reports.summary import all_ok, finish

        sweep_dir = Path(config.hydra.sweep.dir)
        try:
            rows = finish(sweep_dir, config.get("report", {}).get("baseline"))
        except OSError as exc:
            raise FolderError(
                f"The sweep's summary could not be written into {sweep_dir}: "
                f"{exc.strerror} ({exc.filename}). The jobs' own records are in their "
                f"folders; free space, then rebuild it with `seqlab-report {sweep_dir}`."
            ) from None
        from seqlab.sweeps.driver import summary_written

        summary_written()
        ok = all_ok(rows)
        try:
            parent = read_json(sweep_dir / SWEEP_FILE).get(PARENT_KEY)
        except (OSError, ValueError):
            parent = None
        end_parent(parent, sweep_dir, ok)
        if not ok:
            sys.exit(Exit.FAILED)
