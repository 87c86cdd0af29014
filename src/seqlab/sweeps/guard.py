"""A sweep's start: everything checked before the first job runs, in this order.

1. The launcher's preparation (Ray: an absolute sweep folder, which workers elsewhere
   write to).
2. The plan (`seqlab.sweeps.plan`): every job composed, placed and validated; a bad job
   stops the sweep before its folder exists. `repeats=auto` plans its rounds as it
   goes: its settings, baseline and first jobs are checked here instead.
3. The sweep folder: created and locked (a second sweep into it is refused).
4. The report's baseline names a value some job has.
5. The folder holds nothing of another experiment (`conflicts`).
6. The launcher's set-up (Ray: start or join its cluster, refuse a job size no node
   has), then the driver's signal handler (`seqlab.sweeps.driver`).
7. sweep.json: the plan, so that the summary can list a job that never started.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from seqlab.errors import ConfigError, FolderError, SeqlabError
from seqlab.reports.baseline import Baseline
from seqlab.reports.rows import SWEEP_FILE, find_runs, override_dict, planned_jobs
from seqlab.sweeps.auto_checks import check_auto, is_auto
from seqlab.sweeps.plan import PlannedJob, plan


def begin(config: DictConfig) -> list[PlannedJob] | None:
    """Check and claim the sweep folder, install the driver; returns the plan (None when
    the sweeper chooses its jobs as it goes)."""
    from seqlab.records.files import write_json_atomic
    from seqlab.records.folder import hold_lock
    from seqlab.sweeps.driver import Driver
    from seqlab.sweeps.launchers import chosen

    sweeper = config.hydra.sweeper
    if str(sweeper.get("_target_", "")).endswith(".MissingPluginSweeper"):
        raise ConfigError(  # before any folder: the sweep could not run a single job
            f"hydra/sweeper={sweeper.plugin} needs Hydra's {sweeper.plugin} sweeper plugin, "
            f"which is not installed. Install it with `pip install 'seqlab[{sweeper.extra}]'`, "
            "or run the preset as one run (without -m) or with another sweeper."
        )
    launcher = chosen(config)
    if launcher is not None and launcher.prepare is not None:
        launcher.prepare(config)
    jobs = plan(config)
    configs = None
    if jobs is None and is_auto(config):  # its rounds are planned as it goes; check now
        configs, _ = check_auto(config, list(config.hydra.overrides.task))
    if launcher is not None and launcher.check is not None:  # before the sweep's folder exists
        planned = [j.overrides for j in jobs] if jobs is not None else None
        if planned is None and configs is not None:
            planned = [[*c, "trainer.seed=1"] for c in configs]
        launcher.check(config, planned or [])
    sweep_dir = Path(config.hydra.sweep.dir)
    hold_lock(sweep_dir, "sweep")  # until this process ends
    from seqlab.records.refusals import clear_refusals

    clear_refusals(sweep_dir)  # an earlier run's refusals speak of that run
    baseline = config.get("report", {}).get("baseline")
    if jobs is not None and baseline:  # a typo found now, not after every job ran
        Baseline.parse(baseline).check(override_dict(job.overrides) for job in jobs)
    found = conflicts(sweep_dir, jobs) if jobs is not None else []
    if configs is not None:
        found += auto_conflicts(sweep_dir, config, configs)
    found += [
        f"{plan_file.parent} holds another sweep's plan ({SWEEP_FILE}), whose jobs the "
        "summary would count as this sweep's"
        for plan_file in sorted(sweep_dir.rglob(SWEEP_FILE))
        if plan_file.parent != sweep_dir
    ]
    if found:
        raise FolderError(
            f"{sweep_dir} holds another sweep's jobs, and the summary would mix the two: "
            f"{'; '.join(found[:6])}{' ...' if len(found) > 6 else ''}. Sweep into a new "
            "folder (hydra.sweep.dir=...) and merge the tables with `seqlab-report OLD NEW`, "
            "or move the old folder away."
        )
    if launcher is not None and launcher.setup is not None:
        launcher.setup(config, sweep_dir)
    Driver(sweep_dir, baseline, launcher.stop if launcher else None).install()
    planned: dict[str, Any] = {"jobs": None if jobs is None else [j.as_dict() for j in jobs]}
    if "tracking" in config:
        from seqlab.errors import say
        from seqlab.records.tracking import PARENT_KEY, start_parent

        planned[PARENT_KEY], warning = start_parent(config.tracking, sweep_dir)
        if warning:
            say("seqlab", warning)
    write_json_atomic(sweep_dir / SWEEP_FILE, planned)
    return jobs


def conflicts(sweep_dir: Path, jobs: list[PlannedJob]) -> list[str]:
    """What in `sweep_dir` belongs to another experiment than this sweep's jobs: a job
    folder holding a run of other overrides or another config, a run this sweep does
    not plan, a single run at the top, a job folder that is a file."""
    from seqlab.records.checkpoints import Checkpoints
    from seqlab.records.files import RESULTS_FILE
    from seqlab.records.folder import differing_keys, fingerprint
    from seqlab.records.record import UnreadableRecord, load_record

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


def auto_conflicts(sweep_dir: Path, config: DictConfig, configs: list[list[str]]) -> list[str]:
    """What in `sweep_dir` a repeats=auto sweep of `configs` would not have run: a plan
    of another sweep, or a run whose overrides (without the seed) are none of them, whose
    seed is no round's, or whose config differs from the job this sweep would run."""

    from seqlab.records.checkpoints import Checkpoints
    from seqlab.records.files import RESULTS_FILE, read_json
    from seqlab.records.folder import fingerprint
    from seqlab.records.record import UnreadableRecord, load_record
    from seqlab.reports.decisions import AUTO_FILE
    from seqlab.reports.stats import SEED_KEY
    from seqlab.sweeps.plan import check_jobs

    found = []
    mine = [override_dict(c) for c in configs]
    try:
        auto = read_json(sweep_dir / AUTO_FILE)
        theirs = [override_dict(c["overrides"]) for c in auto["configurations"]]
    except FileNotFoundError:  # none yet (stopped in its first round), or another sweep's
        theirs = None
        if planned_jobs(sweep_dir):
            found.append(f"{sweep_dir / SWEEP_FILE} plans a sweep that was not repeats=auto")
    except (OSError, ValueError, KeyError, TypeError):
        # Damaged (a kill mid-write of another tool, a full disk): the sweep rewrites it
        # from its records after every round; the runs below are checked one by one.
        theirs = None
    if theirs is not None and theirs != mine:
        found.append(f"{sweep_dir / AUTO_FILE} records another repeats=auto sweep's configurations")
    rounds = int(config.hydra.sweeper.max_rounds)
    for run_dir in find_runs(sweep_dir) if sweep_dir.is_dir() else []:
        if run_dir == sweep_dir:
            continue
        folder = os.path.relpath(run_dir, sweep_dir)
        try:
            record = load_record(run_dir / RESULTS_FILE)
        except UnreadableRecord:
            continue  # unreadable: the job runs again, its file moved aside
        if record is None:
            continue
        overrides = list(record.get("overrides") or [])
        shown = " ".join(overrides) or "(no overrides)"
        given = override_dict(overrides)
        seed = given.pop(SEED_KEY, None)
        if given not in mine or not (seed or "").isdigit() or not 1 <= int(seed) <= rounds:
            found.append(f"job {folder} holds a run ({shown}) that this sweep does not run")
            continue
        try:
            job = check_jobs(config, [overrides])[0]
        except SeqlabError:
            continue  # a job this sweep could not run is refused with the plan's message
        recorded = Checkpoints(run_dir).fingerprint() or fingerprint(record.get("config") or {})
        if recorded != fingerprint(job.config):
            found.append(f"job {folder} holds {shown} with another config than this sweep's")
    return found
