"""A sweep's plan, before any job runs: every job's overrides, folder and checked config.

Hydra's basic sweeper knows its jobs up front. So does seqlab: `plan` lists them in the
basic sweeper's order with the public override parser, composes each job's config with
the public `hydra.compose` (as the launcher will), resolves each job's folder from
`hydra.sweep.subdir` (any pattern: `${hydra.job.num}`, `${model.cell}`,
`${hydra.job.override_dirname}`), and validates each config with the one validation
stage. An invalid job, two jobs in one folder, or a folder outside the sweep folder
stop the sweep before its folder exists. `tests/test_sweep_plan.py` pins the plan
against what Hydra then runs.

Sweepers that choose their jobs as they go (Optuna) cannot be planned: their jobs are
checked one by one when they start (`plan` returns None).
"""

from __future__ import annotations

import copy
import itertools
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf, open_dict

from seqlab.errors import ConfigError, SeqlabError, one_line
from seqlab.sweeps.launchers import chosen


@dataclass
class PlannedJob:
    """One job of the plan: its overrides, its folder (relative to the sweep folder) and
    its resolved config (without the hydra node)."""

    number: int
    overrides: list[str]
    folder: str
    config: dict[str, Any] = field(repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {"number": self.number, "overrides": self.overrides, "folder": self.folder}


def plannable(config: DictConfig) -> bool:
    """Whether the sweeper's jobs are known before the sweep starts (Hydra's basic one)."""
    return str(config.hydra.sweeper.get("_target_", "")).endswith(".BasicSweeper")


def job_overrides(config: DictConfig) -> list[list[str]]:
    """Each job's overrides, in the order and form Hydra's basic sweeper gives them:
    `hydra.sweeper.params` first, then the command line's, a key given again keeping
    its first place; the first key varies slowest."""
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.override_parser.overrides_parser import OverridesParser

    params = config.hydra.sweeper.get("params") or {}
    # resolve=False as Hydra reads them: "${...}" inside an override stays as typed.
    task = OmegaConf.to_container(config.hydra.overrides.task, resolve=False)
    arguments = [f"{key}={value}" for key, value in params.items()] + list(task)
    parser = OverridesParser.create(config_loader=GlobalHydra.instance().config_loader())
    per_key: dict[str, list[str]] = {}
    for override in parser.parse_overrides(arguments):
        key = override.get_key_element()  # keeps +, ++, ~ and @package
        if override.is_sweep_override():
            if not override.is_discrete_sweep():
                raise ConfigError(
                    f"{override.input_line} is not a list of values, which Hydra's basic "
                    "sweeper cannot run (interval() needs a sweeper that samples, such as "
                    "Optuna's). Give the values as a list: key=a,b,c or range(...)."
                )
            per_key[key] = [f"{key}={value}" for value in override.sweep_string_iterator()]
        else:
            per_key[key] = [f"{key}={override.get_value_element_as_str()}"]
    return [list(job) for job in itertools.product(*per_key.values())]


def compose_job(config: DictConfig, overrides: list[str], number: int) -> DictConfig:
    """The config the launcher builds for job `number`, hydra node included."""
    from hydra import compose

    hydra_overrides = OmegaConf.to_container(config.hydra.overrides.hydra, resolve=False)
    job = compose(
        config_name=config.hydra.job.config_name,
        overrides=[*hydra_overrides, *overrides],
        return_hydra_config=True,
    )
    OmegaConf.copy_cache(from_config=config, to_config=job)  # the sweep's ${now:}
    launcher = chosen(config)
    with open_dict(job):
        job.hydra.job.num = number
        if launcher is not None and launcher.job_id is not None:  # else only the job knows
            job.hydra.job.id = launcher.job_id(str(job.hydra.job.name), number)
    return job


def job_folder(job: DictConfig) -> str:
    """The job's folder as Hydra's run_job computes it (sweep.dir / sweep.subdir)."""
    from hydra.core.hydra_config import HydraConfig

    holder = HydraConfig.instance()
    saved = holder.cfg
    holder.set_config(job)  # for ${hydra:...} in the patterns
    try:
        return os.path.join(str(job.hydra.sweep.dir), str(job.hydra.sweep.subdir))
    finally:
        holder.cfg = saved


def task_config(job: DictConfig) -> DictConfig:
    """The job's config without the hydra node (a deep copy keeps the resolver cache)."""
    task = copy.deepcopy(job)
    with open_dict(task):
        del task["hydra"]
    return task


def plan(config: DictConfig) -> list[PlannedJob] | None:
    """Every job of the sweep, composed, placed and validated; None when the sweeper
    chooses its jobs as it goes. Raises ConfigError naming the first bad job."""
    if not plannable(config):
        return None
    return check_jobs(config, job_overrides(config))


def check_jobs(
    config: DictConfig, overrides_of_jobs: list[list[str]], first: int = 0
) -> list[PlannedJob]:
    """These jobs of the sweep (numbered from `first`), composed, placed and validated."""
    from seqlab.config.validate import validate

    sweep_dir = Path(str(config.hydra.sweep.dir))  # resolved once: the cache ${now:} fills
    launcher = chosen(config)
    pattern = str(OmegaConf.to_container(config.hydra.sweep, resolve=False).get("subdir"))
    if "job.id" in pattern and (launcher is None or launcher.job_id is None):
        name = launcher.name if launcher else config.hydra.launcher.get("_target_", "?")
        raise ConfigError(
            f"hydra.sweep.subdir={pattern} uses hydra.job.id, which the {name} launcher "
            "sets only inside each job, so seqlab cannot tell up front where the jobs go "
            "(nor count them in the summary). Use ${hydra.job.num} or "
            "${hydra.job.override_dirname} instead."
        )
    if "now:" in pattern.replace(" ", ""):
        raise ConfigError(
            f"hydra.sweep.subdir={pattern} uses ${{now:...}}, which each job resolves again "
            "when it starts, so seqlab cannot tell up front where the jobs go (it would "
            "count jobs that ran as not run, and refuse the sweep's own folders when run "
            "again). Put the time in hydra.sweep.dir (resolved once, when the sweep "
            "starts) and use ${hydra.job.num} or ${hydra.job.override_dirname} in subdir."
        )
    jobs: list[PlannedJob] = []
    for number, overrides in enumerate(overrides_of_jobs, first):
        shown = " ".join(overrides) or "(no overrides)"
        try:
            job = compose_job(config, overrides, number)
            task = task_config(job)
            validate(task)
            folder = Path(job_folder(job))
            resolved = OmegaConf.to_container(task, resolve=True)
        except SeqlabError as exc:
            raise ConfigError(f"Job {number} of the sweep ({shown}) is invalid: {exc}") from None
        except Exception as exc:  # Hydra's own composition errors
            detail = one_line(exc)
            raise ConfigError(
                f"Job {number} of the sweep ({shown}) cannot be composed: {detail}. Fix or "
                "remove that override; no job ran."
            ) from None
        jobs.append(PlannedJob(number, overrides, _inside(folder, sweep_dir, shown), resolved))
    _refuse_shared_folders(jobs)
    return jobs


def folder_of(config: DictConfig, overrides: list[str], number: int) -> str:
    """Job `number`'s folder, relative to the sweep folder (a sweeper that plans as it
    goes places each job it launches)."""
    folder = Path(job_folder(compose_job(config, overrides, number)))
    return os.path.relpath(os.path.abspath(folder), os.path.abspath(str(config.hydra.sweep.dir)))


def _inside(folder: Path, sweep_dir: Path, shown: str) -> str:
    """The job's folder relative to the sweep folder; a folder outside it is refused."""
    relative = os.path.relpath(os.path.abspath(folder), os.path.abspath(sweep_dir))
    if relative == "." or relative.startswith(".."):
        raise ConfigError(
            f"hydra.sweep.subdir puts the job {shown} in {folder}, which is not a folder "
            f"inside the sweep folder {sweep_dir}: the summary would not find it, or it "
            "would mix with the sweep's own files. Use a pattern that names a sub-folder, "
            "such as ${hydra.job.num} (the default) or ${hydra.job.override_dirname}."
        )
    return relative


def _refuse_shared_folders(jobs: list[PlannedJob]) -> None:
    seen: dict[str, PlannedJob] = {}
    for job in jobs:
        other = seen.setdefault(job.folder, job)
        if other is not job:
            raise ConfigError(
                f"hydra.sweep.subdir puts two jobs in the folder {job.folder}: job "
                f"{other.number} ({' '.join(other.overrides)}) and job {job.number} "
                f"({' '.join(job.overrides)}). A folder holds one experiment, so the second "
                "would be refused. Use a pattern that tells every job apart, such as "
                "${hydra.job.num} (the default) or ${hydra.job.override_dirname}."
            )
