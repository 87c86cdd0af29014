"""The Hydra callback of a sweep: guard its folder when it starts, summarise when it ends.

At the start, before any job runs: the sweep folder must be a writable folder, no
other seqlab process may be sweeping into it (a lock), and the jobs it already holds
must be this sweep's jobs. With Hydra's basic sweeper the planned jobs are known up
front: their overrides go to sweep.json (so the summary can list a job that never
started), and a folder whose job N was run with other overrides or another config is
refused, listing the conflicts. The same sweep again skips what finished.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from seqlab.errors import FolderError, LauncherError, SeqlabError

EXIT_USER_ERROR = 2
# The sweep this process drives, for a Ctrl-C that reaches the driver rather than a job
# (launchers that run jobs elsewhere: Ray, joblib): seqlab.cli.main summarises it.
ACTIVE_SWEEP: dict[str, Any] = {}


def plan_jobs(config: DictConfig) -> list[list[str]] | None:
    """Each job's overrides, as Hydra's basic sweeper will number them; None for others."""
    if not str(config.hydra.sweeper.get("_target_", "")).endswith(".BasicSweeper"):
        return None  # e.g. Optuna: jobs are chosen as the sweep goes
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.override_parser.overrides_parser import OverridesParser

    params = config.hydra.sweeper.get("params") or {}
    arguments = [f"{k}={v}" for k, v in params.items()] + list(config.hydra.overrides.task)
    parser = OverridesParser.create(config_loader=GlobalHydra.instance().config_loader())
    batches = BasicSweeper.split_arguments(parser.parse_overrides(arguments), None)
    return [list(job) for batch in batches for job in batch]


def conflicts(sweep_dir: Path, config: DictConfig, jobs: list[list[str]]) -> list[str]:
    """What in `sweep_dir` belongs to another experiment than this sweep's jobs."""
    from hydra.core.global_hydra import GlobalHydra

    from seqlab.runs.checkpoints import Checkpoints
    from seqlab.runs.files import RESULTS_FILE, UnreadableRecord, load_record
    from seqlab.runs.folder import differing_keys, fingerprint

    found = []
    if (sweep_dir / RESULTS_FILE).exists() or Checkpoints(sweep_dir).present():
        found.append("the folder itself holds a single run (seqlab without -m)")
    for number in range(len(jobs)):
        place = sweep_dir / str(number)
        if place.exists() and not place.is_dir():
            found.append(f"job {number}'s folder {place} is a file")
    loader = GlobalHydra.instance().config_loader()
    for folder in sorted(p for p in sweep_dir.iterdir() if p.is_dir() and p.name.isdigit()):
        number = int(folder.name)
        try:
            record = load_record(folder / RESULTS_FILE)
        except UnreadableRecord:
            record = None  # unreadable: the job runs again, its file moved aside
        if record is None and not Checkpoints(folder).present():
            continue  # nothing of an experiment in it (Hydra made it, or an empty folder)
        if number >= len(jobs):
            found.append(f"job {number} exists, but this sweep has {len(jobs)} jobs")
            continue
        job_cfg = loader.load_sweep_config(config, list(jobs[number]))
        with_hydra = OmegaConf.to_container(job_cfg, resolve=False)
        with_hydra.pop("hydra", None)
        mine = OmegaConf.to_container(OmegaConf.create(with_hydra), resolve=True)
        theirs = Checkpoints(folder).fingerprint() or fingerprint((record or {}).get("config", {}))
        if theirs != fingerprint(mine):
            before = (record or {}).get("config")
            keys = differing_keys(before, mine) if isinstance(before, dict) else []
            what = "; ".join(keys[:4]) or "its checkpoint is of another config"
            found.append(
                f"job {number}: holds {' '.join((record or {}).get('overrides', [])) or '?'}"
                f", this sweep's job {number} is {' '.join(jobs[number])} ({what})"
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


class SweepSummary(Callback):
    """Guards the sweep folder at the start; writes and prints the summary at the end.

    Exits non-zero after writing when any job is not ok (failed, interrupted,
    incomplete, unreadable, not run), so scripts notice; the finished jobs' results
    stay where they are.
    """

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        from seqlab.cli.gate import refuse
        from seqlab.runs.files import write_json_atomic
        from seqlab.runs.folder import hold_lock
        from seqlab.sweeps import ray_cluster
        from seqlab.sweeps.rows import SWEEP_FILE, check_baseline, override_dict

        ray = ray_cluster.uses_ray(config)
        if ray:  # jobs on other machines or in other folders write where the summary reads
            ray_cluster.pin_sweep_dir(config)
        sweep_dir = Path(config.hydra.sweep.dir)
        ACTIVE_SWEEP.update(
            sweep_dir=sweep_dir, baseline=config.get("report", {}).get("baseline"), ray=ray
        )
        try:
            hold_lock(sweep_dir, "sweep")  # until this process ends
            jobs = plan_jobs(config)
            baseline = config.get("report", {}).get("baseline")
            if jobs is not None and baseline:  # a typo found now, not after every job ran
                check_baseline(baseline, [override_dict(job) for job in jobs])
            if jobs is not None:
                found = conflicts(sweep_dir, config, jobs)
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
                except Exception as exc:  # Hydra would turn it into a warning and go on
                    raise LauncherError(
                        f"hydra/launcher=ray could not be set up: {type(exc).__name__}: "
                        f"{exc}. No job ran. Check the hydra.launcher.ray options."
                    ) from None
        except SeqlabError as exc:
            refuse("seqlab", exc)
        plan: dict[str, Any] = {"jobs": jobs}
        if "tracking" in config:
            from rich.console import Console

            from seqlab.runs.tracking import PARENT_KEY, start_parent

            plan[PARENT_KEY], warning = start_parent(config.tracking, sweep_dir)
            if warning:
                Console(stderr=True).print(f"seqlab: {warning}", highlight=False)
        write_json_atomic(sweep_dir / SWEEP_FILE, plan)

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        import json

        from seqlab.cli.gate import refuse
        from seqlab.runs.tracking import PARENT_KEY, end_parent
        from seqlab.sweeps.rows import SWEEP_FILE

        sweep_dir = Path(config.hydra.sweep.dir)
        try:
            rows = finish(sweep_dir, config.get("report", {}).get("baseline"))
        except OSError as exc:  # Hydra would turn an exception here into a mere warning
            refuse(
                "seqlab",
                FolderError(
                    f"The sweep's summary could not be written into {sweep_dir}: "
                    f"{exc.strerror} ({exc.filename}). The jobs' own records are in their "
                    "folders; free space, then rebuild it with `seqlab-report "
                    f"{sweep_dir}`."
                ),
            )
        except SeqlabError as exc:
            refuse("seqlab", exc)
        ok = all(row["status"] == "ok" for row in rows)
        try:
            parent = json.loads((sweep_dir / SWEEP_FILE).read_text()).get(PARENT_KEY)
        except (OSError, ValueError):
            parent = None
        end_parent(parent, sweep_dir, ok)
        if not ok:
            sys.exit(1)
