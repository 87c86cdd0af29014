"""The Hydra callback of a sweep: guard its folder when it starts, summarise when it ends.

At the start, before any job runs: the sweep folder must be a writable folder, no
other seqlab process may be sweeping into it (a lock), and the jobs it already holds
must be this sweep's jobs. With Hydra's basic sweeper the planned jobs are known up
front: their overrides go to sweep.json (so the summary can list a job that never
started), and a folder whose job N was run with other overrides or another config is
refused, listing the conflicts. The same sweep again skips what finished.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from seqlab.errors import Exit, FolderError, LauncherError, SeqlabError, refuse

if TYPE_CHECKING:
    from seqlab.sweeps.plan import PlannedJob

EXIT_USER_ERROR = 2
# The sweep this process drives, for a Ctrl-C that reaches the driver rather than a job
# (launchers that run jobs elsewhere: Ray, joblib): seqlab.cli.main summarises it.
ACTIVE_SWEEP: dict[str, Any] = {}


def conflicts(sweep_dir: Path, jobs: list[PlannedJob]) -> list[str]:
    """What in `sweep_dir` belongs to another experiment than this sweep's jobs: a job
    folder holding a run of other overrides or another config, a run this sweep does
    not plan, a single run at the top, a job folder that is a file."""
    from seqlab.runs.checkpoints import Checkpoints
    from seqlab.runs.files import RESULTS_FILE, UnreadableRecord, load_record
    from seqlab.runs.folder import differing_keys, fingerprint
    from seqlab.sweeps.rows import find_runs

    found = []
    if (sweep_dir / RESULTS_FILE).exists() or Checkpoints(sweep_dir).present():
        found.append("the folder itself holds a single run (seqlab without -m)")
    planned = {os.path.normpath(job.folder): job for job in jobs}
    for job in jobs:
        place = sweep_dir / job.folder
        if place.exists() and not place.is_dir():
            found.append(f"job {job.number}'s folder {place} is a file")
    for run_dir in find_runs(sweep_dir) if sweep_dir.is_dir() else []:
        if run_dir == sweep_dir:
            continue
        folder = os.path.normpath(os.path.relpath(run_dir, sweep_dir))
        try:
            record = load_record(run_dir / RESULTS_FILE)
        except UnreadableRecord:
            continue  # unreadable: the job runs again, its file moved aside
        if record is None:
            continue
        job = planned.get(folder)
        theirs = " ".join(record.get("overrides") or []) or "?"
        if job is None:
            found.append(f"job {folder} holds a run ({theirs}) that this sweep does not plan")
            continue
        recorded = Checkpoints(run_dir).fingerprint() or fingerprint(record.get("config") or {})
        if recorded != fingerprint(job.config):
            before = record.get("config")
            keys = differing_keys(before, job.config) if isinstance(before, dict) else []
            what = "; ".join(keys[:4]) or "its checkpoint is of another config"
            found.append(
                f"job {folder}: holds {theirs}, this sweep's job {job.number} there is "
                f"{' '.join(job.overrides) or '(no overrides)'} ({what})"
            )
    return found


def elsewhere(config: DictConfig) -> bool:
    """Whether the launcher runs the jobs in processes other than this one."""
    target = str(config.hydra.launcher.get("_target_", ""))
    return target.rsplit(".", 1)[-1] in ("JoblibLauncher", "LocalLauncher", "RayLauncher")


def summarise_interrupted(name: str, sweep_dir: Path, baseline: str | None) -> None:
    """Say that a signal stops the sweep, and write the summary of what its folder holds.

    For a signal that reaches the process driving the sweep rather than a job (Ray,
    joblib): jobs still running are listed as `running`; once their processes are gone
    their records read `incomplete`, and the same command resumes them.
    """
    from rich.console import Console

    Console(stderr=True).print(
        f"seqlab: interrupted by {name}; the sweep stops, and with it its jobs that are still "
        f"running (their records then read incomplete). {sweep_dir} keeps what finished; "
        "the same command runs the rest again (a job resumes from its last checkpoint).",
        highlight=False,
    )
    try:
        finish(sweep_dir, baseline)
    except Exception as exc:  # the summary is a courtesy here; the exit status is not
        Console(stderr=True).print(f"seqlab: no summary written: {exc}", highlight=False)


def finish(sweep_dir: Path, baseline: str | None) -> list[dict[str, Any]]:
    """Write and print the summary of what the sweep folder holds; return its rows."""
    from rich.console import Console

    from seqlab.sweeps.rows import headline, sharing_note
    from seqlab.sweeps.summary import write_summary
    from seqlab.sweeps.table import print_table

    rows, header, cells = write_summary([sweep_dir], sweep_dir, baseline=baseline)
    print_table(f"seqlab sweep: {sweep_dir}", header, cells)
    Console().print(
        f"{headline(rows)}; summary.csv, summary.md, summary.png in {sweep_dir}",
        highlight=False,
    )
    if note := sharing_note(rows):
        Console().print(note, highlight=False)
    return rows


def never_a_warning(what: str) -> Callable:
    """Hydra turns an exception raised in a callback into a warning and goes on (a sweep
    whose summary failed exited 0). Here any failure is one paragraph and a non-zero exit:
    2 when the user must change something, 1 otherwise."""

    def decorate(method: Callable) -> Callable:
        @functools.wraps(method)
        def guarded(self, config: DictConfig, **kwargs: Any) -> None:
            try:
                method(self, config, **kwargs)
            except SeqlabError as exc:
                refuse("seqlab", exc)
            except Exception as exc:
                detail = " ".join(str(exc).split())[:500]
                sweep_dir = config.hydra.sweep.dir
                refuse(
                    "seqlab",
                    f"{what} failed ({type(exc).__name__}: {detail}). The jobs' own records "
                    f"are in their folders under {sweep_dir}; fix the cause, then write the "
                    f"summary with `seqlab-report {sweep_dir}`.",
                    Exit.FAILED,
                )

        return guarded

    return decorate


class SweepSummary(Callback):
    """Guards the sweep folder at the start; writes and prints the summary at the end.

    Exits non-zero after writing when any job is not ok (failed, interrupted,
    incomplete, unreadable, not run), so scripts notice; the finished jobs' results
    stay where they are.
    """

    @never_a_warning("Setting up the sweep")
    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        from seqlab.runs.files import write_json_atomic
        from seqlab.runs.folder import hold_lock
        from seqlab.sweeps import ray_cluster
        from seqlab.sweeps.plan import plan
        from seqlab.sweeps.rows import SWEEP_FILE, check_baseline, override_dict

        ray = ray_cluster.uses_ray(config)
        if ray:  # jobs on other machines or in other folders write where the summary reads
            ray_cluster.pin_sweep_dir(config)
        sweep_dir = Path(config.hydra.sweep.dir)
        ACTIVE_SWEEP.update(
            sweep_dir=sweep_dir, baseline=config.get("report", {}).get("baseline"), ray=ray
        )
        # Every job is composed and checked before the sweep's folder exists.
        jobs = plan(config)
        hold_lock(sweep_dir, "sweep")  # until this process ends
        baseline = config.get("report", {}).get("baseline")
        if jobs is not None and baseline:  # a typo found now, not after every job ran
            check_baseline(baseline, [override_dict(job.overrides) for job in jobs])
        if jobs is not None:
            found = conflicts(sweep_dir, jobs)
            if found:
                raise FolderError(
                    f"{sweep_dir} holds another sweep's jobs, and the summary would mix "
                    f"the two: {'; '.join(found[:6])}{' ...' if len(found) > 6 else ''}. "
                    "Sweep into a new folder (hydra.sweep.dir=...) and merge the tables "
                    "with `seqlab-report OLD NEW`, or move the old folder away."
                )
        if not ray and elsewhere(config):  # Ray's own set-up installs it after ray.init
            from seqlab.sweeps.driver import stop_on_signals

            stop_on_signals(sweep_dir, baseline)
        if ray:  # a cluster that cannot be reached: one paragraph, no job started
            try:
                ray_cluster.start_ray(config, sweep_dir, baseline)
            except SeqlabError:
                raise
            except Exception as exc:
                raise LauncherError(
                    f"hydra/launcher=ray could not be set up: {type(exc).__name__}: "
                    f"{exc}. No job ran. Check the hydra.launcher.ray options."
                ) from None
        planned: dict[str, Any] = {
            "jobs": None if jobs is None else [job.as_dict() for job in jobs]
        }
        if "tracking" in config:
            from rich.console import Console

            from seqlab.runs.tracking import PARENT_KEY, start_parent

            planned[PARENT_KEY], warning = start_parent(config.tracking, sweep_dir)
            if warning:
                Console(stderr=True).print(f"seqlab: {warning}", highlight=False)
        write_json_atomic(sweep_dir / SWEEP_FILE, planned)

    @never_a_warning("Writing the sweep's summary")
    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        import json

        from seqlab.runs.tracking import PARENT_KEY, end_parent
        from seqlab.sweeps.rows import SWEEP_FILE

        sweep_dir = Path(config.hydra.sweep.dir)
        try:
            rows = finish(sweep_dir, config.get("report", {}).get("baseline"))
        except OSError as exc:
            raise FolderError(
                f"The sweep's summary could not be written into {sweep_dir}: "
                f"{exc.strerror} ({exc.filename}). The jobs' own records are in their "
                f"folders; free space, then rebuild it with `seqlab-report {sweep_dir}`."
            ) from None
        ok = all(row["status"] == "ok" for row in rows)
        try:
            parent = json.loads((sweep_dir / SWEEP_FILE).read_text()).get(PARENT_KEY)
        except (OSError, ValueError):
            parent = None
        end_parent(parent, sweep_dir, ok)
        if not ok:
            sys.exit(Exit.FAILED)
